"""Reminder audiences read from real bookings: appointment tomorrow and follow-up."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.campaigns import results, service
from careline.campaigns.model import (
    AudienceKind,
    AudienceRule,
    CampaignKind,
    Channel,
    MessageTemplate,
)
from careline.campaigns.policy import CampaignPolicy
from careline.db.uow import UnitOfWork
from careline.kit.clock import FakeClock
from careline.scheduling.service import book_appointment
from careline.scheduling.tables import bookings
from tests.integration.scheduling.test_booking import OPEN, request
from tests.integration.scheduling.world import build_world, make_clock

TOMORROW = date(2026, 11, 26)


async def _reminder(engine: AsyncEngine, clock: FakeClock, rule: AudienceRule) -> int:
    async with UnitOfWork(engine) as uow:
        campaign = await service.create_campaign(
            uow,
            name="复诊提醒",
            kind=CampaignKind.REMINDER,
            rule=rule,
            channels=(Channel.VOICE,),
            template=MessageTemplate(body_zh="{name}{title}，您{date}有{doctor}的门诊。"),
            clock=clock,
        )
        await service.start_campaign(
            uow, campaign_id=campaign.id, clock=clock, policy=CampaignPolicy()
        )
        return campaign.id


@pytest.mark.asyncio
async def test_appointment_tomorrow_and_follow_up_come_from_bookings(
    any_engine: AsyncEngine,
) -> None:
    world = await build_world(any_engine, patients=2)
    for card, index in zip(world.cards, (0, 1), strict=True):
        async with UnitOfWork(any_engine) as uow:
            await book_appointment(
                uow,
                request=request(world, card, day=TOMORROW, index=index),
                clock=make_clock(),
                policy=OPEN,
            )
    clock = make_clock()
    tomorrow = await _reminder(any_engine, clock, AudienceRule(AudienceKind.APPOINTMENT_TOMORROW))
    async with UnitOfWork(any_engine) as uow:
        targets = await results.list_targets(uow, campaign_id=tomorrow)
        # The second patient came; the first did not (still booked).
        await uow.connection.execute(
            bookings.update()
            .where(bookings.c.patient_id == world.patients[1])
            .values(status="attended")
        )
        await uow.commit()
    assert sorted(t.patient_id for t in targets) == sorted(world.patients)
    assert {t.fields["doctor"] for t in targets} == {"王医生1"}
    assert {t.fields["date"] for t in targets} == {"11月26日"}
    clock.advance(8 * 86400)  # 2026-12-03: seven days after the visit
    follow_up = await _reminder(any_engine, clock, AudienceRule(AudienceKind.FOLLOW_UP, days=7))
    async with UnitOfWork(any_engine) as uow:
        followed = await results.list_targets(uow, campaign_id=follow_up)
    assert [t.patient_id for t in followed] == [world.patients[1]]
