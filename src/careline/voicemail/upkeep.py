"""Voicemail work done by the background worker: notices, overdue flags, the retention purge.

Each round reads due rows and marks them in the same unit of work, so a crash between
queueing a notice and marking it sends it again on the next round rather than never.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import structlog

from careline.channels import service as channels
from careline.channels.errors import ChannelError
from careline.complaints.sla import WorkCalendar
from careline.db.uow import UnitOfWork
from careline.directory import service as directory
from careline.kit.clock import Clock
from careline.voicemail.model import (
    NotifyBy,
    VoicemailPolicy,
    VoiceMessage,
    doctor_notice_text,
    is_overdue,
    retention_cutoff,
)
from careline.voicemail.repository import VoicemailRepository

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class OverdueMessage:
    """An unanswered message shown to the head of the doctor's department."""

    message: VoiceMessage
    doctor_name: str
    department_id: int


async def notify_doctors(uow: UnitOfWork, *, clock: Clock, policy: VoicemailPolicy) -> int:
    """Tell each doctor with new messages, by the box's preference; return notices queued."""
    repo = VoicemailRepository(uow.connection)
    pending = await repo.unnotified()
    by_doctor: dict[int, list[VoiceMessage]] = defaultdict(list)
    for message in pending:
        by_doctor[message.doctor_id].append(message)
    boxes = await repo.boxes(by_doctor)
    queued = 0
    for doctor_id, messages in by_doctor.items():
        box = boxes.get(doctor_id)
        if box is not None and box.notify_by is not NotifyBy.NONE:
            queued += await _notify(uow, box.notify_by, box.notify_to, messages, clock, policy)
    await repo.mark_notified([m.id for m in pending], clock.now())
    await uow.commit()
    return queued


async def _notify(
    uow: UnitOfWork,
    how: NotifyBy,
    to: str,
    messages: list[VoiceMessage],
    clock: Clock,
    policy: VoicemailPolicy,
) -> int:
    text = doctor_notice_text(len(messages))
    try:
        if how is NotifyBy.SMS:
            await channels.queue_sms(uow, to=to, clock=clock, text=text)
        else:
            links = "\n".join(_audio_link(policy, m) for m in messages)
            await channels.queue_email(
                uow, to=to, subject=text, text=f"{text}\n\n{links}\n", clock=clock
            )
    except ChannelError:
        log.warning("voicemail_notice_refused", channel=how.value)
        return 0
    return 1


def _audio_link(policy: VoicemailPolicy, message: VoiceMessage) -> str:
    # A link to the signed-in inbox, not the audio itself: the recording stays behind the
    # doctor's sign-in instead of sitting in a mailbox.
    return f"{policy.public_url.rstrip('/')}/doctor/voicemail/{message.id}/audio"


async def flag_overdue(
    uow: UnitOfWork, *, clock: Clock, policy: VoicemailPolicy, calendar: WorkCalendar
) -> list[VoiceMessage]:
    """Flag open messages waiting past the set working days; return those just flagged."""
    repo = VoicemailRepository(uow.connection)
    today = clock.today()
    candidates = await repo.open_unflagged(clock.now())
    zone = clock.zone
    overdue = [
        m
        for m in candidates
        if is_overdue(
            m,
            today,
            m.created_at.astimezone(zone).date(),
            policy.answer_working_days,
            calendar.add_working_days,
        )
    ]
    await repo.mark_flagged([m.id for m in overdue], clock.now())
    await uow.commit()
    if overdue:
        log.info("voicemail_overdue_flagged", count=len(overdue))
    return overdue


async def overdue_for_department(uow: UnitOfWork, *, department_id: int) -> list[OverdueMessage]:
    """Flagged, still unanswered messages of a department's doctors, oldest first."""
    doctors = await directory.list_doctors(uow, department_id=department_id)
    names = {doctor.id: doctor.name for doctor in doctors}
    messages = await VoicemailRepository(uow.connection).flagged_for_doctors(names)
    return [OverdueMessage(m, names[m.doctor_id], department_id) for m in messages]


async def purge_expired(
    uow: UnitOfWork, *, clock: Clock, policy: VoicemailPolicy, data_dir: Path
) -> int:
    """Delete messages and replies past the retention period, recordings included."""
    repo = VoicemailRepository(uow.connection)
    expired = await repo.created_before(retention_cutoff(clock.now(), policy.retention_days))
    for message in expired:
        for relative in (message.recording_path, message.reply_path):
            if relative:
                _remove(data_dir, relative)
    await repo.delete([m.id for m in expired])
    await uow.commit()
    if expired:
        log.info("voicemail_purged", count=len(expired))
    return len(expired)


def _remove(data_dir: Path, relative: str) -> None:
    path = (data_dir / relative).resolve()
    if data_dir.resolve() in path.parents:
        path.unlink(missing_ok=True)
