"""Stored check-up due dates drive the check-up audience; greetings stay off service SMS."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.campaigns import attempt_service, checkup_service, results, service
from careline.campaigns.checkups import Checkup
from careline.campaigns.model import (
    AudienceKind,
    AudienceRule,
    CampaignKind,
    Channel,
    InvalidCampaign,
    MessageTemplate,
    TargetStatus,
)
from careline.campaigns.policy import CampaignPolicy
from careline.campaigns.tables import campaign_checkups
from careline.channels.tables import channel_messages
from careline.db.uow import UnitOfWork
from careline.kit.clock import FakeClock
from careline.patients.model import ContactChannel
from tests.integration.campaigns.helpers import add_patients, patient

pytestmark = pytest.mark.asyncio
TODAY = date(2026, 11, 25)  # the fake clock's day
BIRTHDAY = date(1980, 11, 25)
MARKETING_ROUTE = CampaignPolicy(marketing_sms=True)


async def test_import_stores_nothing_when_a_line_names_an_unknown_patient(
    any_engine: AsyncEngine,
) -> None:
    clock = FakeClock()
    async with UnitOfWork(any_engine) as uow:
        await add_patients(uow, [patient(1), patient(2)])
        refused = await checkup_service.import_checkups(
            uow,
            text="patient_id,kind,due_date\n1,annual,2026-11-20\n99,annual,2026-11-20\n",
            staff_id=None,
            clock=clock,
        )
        assert [(e.line, e.message) for e in refused.errors] == [
            (3, "There is no patient with this id.")
        ]
        assert refused.stored == 0
        assert await checkup_service.list_checkups(uow) == []
        done = await checkup_service.import_checkups(
            uow, text="1,annual,2026-11-20\n2,eye,2027-03-01\n", staff_id=None, clock=clock
        )
        assert (done.stored, done.errors) == (2, ())
        # Importing the same patient and kind again moves the date instead of adding a row.
        await checkup_service.import_checkups(
            uow, text="1,annual,2026-12-24\n", staff_id=None, clock=clock
        )
        stored = await checkup_service.list_checkups(uow)
        with pytest.raises(InvalidCampaign, match="no patient"):
            await checkup_service.set_checkup(
                uow, checkup=Checkup(42, "eye", TODAY), staff_id=None, clock=clock
            )
    assert [(c.patient_id, c.kind, c.due_on, c.source.value) for c in stored] == [
        (1, "annual", date(2026, 12, 24), "csv"),
        (2, "eye", date(2027, 3, 1), "csv"),
    ]


async def test_checkup_audience_uses_the_stored_due_date(any_engine: AsyncEngine) -> None:
    clock = FakeClock()
    async with UnitOfWork(any_engine) as uow:
        await add_patients(uow, [patient(n) for n in (1, 2, 3, 4)])
        for patient_id, kind, due in (
            (1, "annual", date(2026, 11, 25)),  # due today
            (2, "annual", date(2026, 12, 31)),  # not yet
            (3, "annual", date(2027, 1, 1)),  # the earliest of two decides
            (3, "eye", date(2026, 10, 1)),
        ):
            await checkup_service.set_checkup(
                uow, checkup=Checkup(patient_id, kind, due), staff_id=None, clock=clock
            )
        campaign = await service.create_campaign(
            uow,
            name="体检提醒",
            kind=CampaignKind.REMINDER,
            rule=AudienceRule(AudienceKind.CHECKUP_DUE, days=365),
            channels=(Channel.VOICE,),
            template=MessageTemplate(body_zh="{name}{title}，您的体检已于{date}到期。"),
            clock=clock,
        )
        started = await service.start_campaign(
            uow, campaign_id=campaign.id, clock=clock, policy=CampaignPolicy()
        )
        targets = await results.list_targets(uow, campaign_id=campaign.id)
    # Patient 4 has neither a due date nor a visit: not selected.
    assert started.audience_size == 2
    assert [(t.patient_id, t.fields["date"]) for t in targets] == [(1, "11月25日"), (3, "10月1日")]


async def _greeting(uow: UnitOfWork, clock: FakeClock, kind: CampaignKind) -> int:
    campaign = await service.create_campaign(
        uow,
        name="生日问候" if kind is CampaignKind.CARE else "就诊提醒",
        kind=kind,
        rule=AudienceRule(AudienceKind.BIRTHDAY),
        channels=(Channel.SMS,),
        template=MessageTemplate(body_zh="{name}{title}，生日快乐！"),
        clock=clock,
    )
    return campaign.id


async def _send(uow: UnitOfWork, clock: FakeClock, policy: CampaignPolicy) -> list[TargetStatus]:
    work = await attempt_service.claim_attempts(
        uow, worker="w1", clock=clock, policy=policy, limit=10, channels=(Channel.SMS,)
    )
    sent = []
    for item in work:
        subject, text = attempt_service.message_for(item, "")
        sent.append(
            await attempt_service.send_message(
                uow, work=item, worker="w1", clock=clock, subject=subject, text=text
            )
        )
    return sent


async def test_greetings_go_by_sms_only_on_a_marketing_route(any_engine: AsyncEngine) -> None:
    clock = FakeClock()
    texter = patient(1, birth_date=BIRTHDAY, marketing=True, channel=ContactChannel.SMS)
    async with UnitOfWork(any_engine) as uow:
        await add_patients(uow, [texter])
        care = await _greeting(uow, clock, CampaignKind.CARE)
        off = await service.preview_audience(uow, campaign_id=care, clock=clock)
        on = await service.preview_audience(
            uow, campaign_id=care, clock=clock, policy=MARKETING_ROUTE
        )
        # Planned while the route was approved, then the setting was switched off: skipped.
        await service.start_campaign(uow, campaign_id=care, clock=clock, policy=MARKETING_ROUTE)
        assert await _send(uow, clock, CampaignPolicy()) == []
        skipped = await results.list_targets(uow, campaign_id=care)
        messages = (await uow.connection.execute(sa.select(channel_messages))).all()
    assert (off.size, off.without_channel) == (0, 1)
    assert (on.size, on.by_channel) == (1, {"sms": 1})
    assert [t.status for t in skipped] == [TargetStatus.SKIPPED]
    assert messages == []


async def test_queued_messages_record_their_kind(any_engine: AsyncEngine) -> None:
    clock = FakeClock()
    async with UnitOfWork(any_engine) as uow:
        await add_patients(
            uow, [patient(1, birth_date=BIRTHDAY, marketing=True, channel=ContactChannel.SMS)]
        )
        care = await _greeting(uow, clock, CampaignKind.CARE)
        reminder = await _greeting(uow, clock, CampaignKind.REMINDER)
        for campaign_id in (care, reminder):
            await service.start_campaign(
                uow, campaign_id=campaign_id, clock=clock, policy=MARKETING_ROUTE
            )
        assert await _send(uow, clock, MARKETING_ROUTE) == [TargetStatus.SENT] * 2
        attempts = [(await results.list_attempts(uow, campaign_id=c))[0] for c in (care, reminder)]
        ids = [row.id for row in await uow.connection.execute(sa.select(channel_messages.c.id))]
        checkups = (await uow.connection.execute(sa.select(campaign_checkups))).all()
    assert [a["message_kind"] for a in attempts] == ["marketing", "notification"]
    assert sorted(a["message_id"] for a in attempts) == sorted(ids)
    assert len(ids) == 2
    assert checkups == []
