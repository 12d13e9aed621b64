"""One round of the doctors' background work: notices, overdue flags, retention purges."""

from __future__ import annotations

from careline.bootstrap import Careline
from careline.complaints.sla import WorkCalendar
from careline.consultations import service as consultations
from careline.voicemail import upkeep
from careline.voicemail.policy import voicemail_policy

_CALENDAR = WorkCalendar()


async def doctor_upkeep(careline: Careline) -> None:
    """Tell doctors of new messages, flag overdue ones, purge what is past retention."""
    settings, clock = careline.settings, careline.clock
    policy = voicemail_policy(settings)
    async with careline.uow() as uow:
        await upkeep.notify_doctors(uow, clock=clock, policy=policy)
        await upkeep.flag_overdue(uow, clock=clock, policy=policy, calendar=_CALENDAR)
        await upkeep.purge_expired(uow, clock=clock, policy=policy, data_dir=settings.data_dir)
        await consultations.purge_expired(
            uow,
            clock=clock,
            retention_days=settings.consult_retention_days,
            data_dir=settings.data_dir,
        )
