"""Automatic escalation: once per level, whatever the number of rounds or workers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.complaints import service, workflow
from careline.complaints.escalation import run_escalation_round, run_escalation_worker
from careline.complaints.model import (
    EventKind,
    TicketDraft,
    TicketKind,
    TicketSource,
    TicketStatus,
)
from careline.complaints.repository import ComplaintRepository
from careline.db.uow import UnitOfWork, UnitOfWorkFactory
from careline.kit.clock import FakeClock

pytestmark = pytest.mark.asyncio
START = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # Wednesday 09:00 in Shanghai
DRAFT = TicketDraft(TicketKind.COMPLAINT, TicketSource.DESK, "候诊太久", "等了三个小时")


async def _open(engine: AsyncEngine, clock: FakeClock, count: int = 1) -> list[int]:
    async with UnitOfWork(engine) as uow:
        return [(await service.open_ticket(uow, draft=DRAFT, clock=clock)).id for _ in range(count)]


async def _levels(engine: AsyncEngine, ticket_id: int) -> list[int]:
    async with UnitOfWork(engine) as uow:
        return await ComplaintRepository(uow.connection).escalation_levels(ticket_id)


def move_to(clock: FakeClock, moment: datetime) -> None:
    clock.advance((moment - clock.now()).total_seconds())


def _factory(engine: AsyncEngine) -> UnitOfWorkFactory:
    return lambda: UnitOfWork(engine)


async def test_missed_deadlines_climb_the_ladder_once_per_level(any_engine: AsyncEngine) -> None:
    clock = FakeClock(START)
    [ticket_id] = await _open(any_engine, clock)
    assert (await run_escalation_round(_factory(any_engine), clock=clock)).escalated == 0
    # First response was due by the end of Thursday 26 November (16:00 UTC).
    move_to(clock, datetime(2026, 11, 26, 16, 1, tzinfo=UTC))
    first = await run_escalation_round(_factory(any_engine), clock=clock)
    again = await run_escalation_round(_factory(any_engine), clock=clock)
    assert (first.escalated, again.escalated) == (1, 0)
    assert await _levels(any_engine, ticket_id) == [1]
    async with UnitOfWork(any_engine) as uow:
        ticket = await service.get_ticket(uow, ticket_id=ticket_id)
    assert (ticket.status, ticket.escalation_level) == (TicketStatus.ESCALATED, 1)
    # The complaint office has two working days: Monday 30 November and Tuesday 1 December.
    assert ticket.resolution_due_at == datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
    move_to(clock, datetime(2026, 12, 1, 16, 0, tzinfo=UTC))
    assert (await run_escalation_round(_factory(any_engine), clock=clock)).escalated == 1
    clock.advance(30 * 86400)
    for _ in range(3):
        assert (await run_escalation_round(_factory(any_engine), clock=clock)).escalated == 0
    assert await _levels(any_engine, ticket_id) == [1, 2]
    async with UnitOfWork(any_engine) as uow:
        events = await service.ticket_history(uow, ticket_id=ticket_id)
    ladder = [e.body for e in events if e.kind is EventKind.ESCALATION]
    assert ladder == ["complaint_office", "leadership"]


async def test_two_workers_at_once_escalate_each_ticket_once(any_engine: AsyncEngine) -> None:
    clock = FakeClock(START)
    ids = await _open(any_engine, clock, count=8)
    move_to(clock, datetime(2026, 11, 26, 16, 1, tzinfo=UTC))
    rounds = await asyncio.gather(
        run_escalation_round(_factory(any_engine), clock=clock),
        run_escalation_round(_factory(any_engine), clock=clock),
        run_escalation_round(_factory(any_engine), clock=clock),
    )
    assert sum(r.escalated for r in rounds) == 8
    for ticket_id in ids:
        assert await _levels(any_engine, ticket_id) == [1]


async def test_resolved_or_paused_tickets_do_not_escalate(any_engine: AsyncEngine) -> None:
    clock = FakeClock(START)
    resolved_id, waiting_id = await _open(any_engine, clock, count=2)
    async with UnitOfWork(any_engine) as uow:
        for ticket_id in (resolved_id, waiting_id):
            await workflow.take_ticket(uow, ticket_id=ticket_id, staff_id=1, clock=clock)
        await workflow.resolve_ticket(
            uow, ticket_id=resolved_id, staff_id=1, resolution="done", clock=clock
        )
        await workflow.change_status(
            uow,
            ticket_id=waiting_id,
            to=TicketStatus.AWAITING_PATIENT,
            staff_id=1,
            reason="need details",
            clock=clock,
        )
    clock.advance(20 * 86400)
    assert (await run_escalation_round(_factory(any_engine), clock=clock)).escalated == 0


async def test_warning_before_the_resolution_deadline_fires_once(any_engine: AsyncEngine) -> None:
    clock = FakeClock(START)
    [ticket_id] = await _open(any_engine, clock)
    async with UnitOfWork(any_engine) as uow:
        await workflow.reply_to_patient(
            uow, ticket_id=ticket_id, staff_id=1, body="收到", clock=clock
        )
    # Resolution due end of Wednesday 2 December; the warning comes 24 hours before.
    move_to(clock, datetime(2026, 12, 1, 16, 30, tzinfo=UTC))
    first = await run_escalation_round(_factory(any_engine), clock=clock)
    second = await run_escalation_round(_factory(any_engine), clock=clock)
    assert (first.warned, first.escalated, second.warned) == (1, 0, 0)


async def test_worker_loop_runs_rounds_until_stopped(engine: AsyncEngine) -> None:
    clock = FakeClock(START)
    [ticket_id] = await _open(engine, clock)
    move_to(clock, datetime(2026, 11, 26, 16, 1, tzinfo=UTC))
    stop = asyncio.Event()
    task = asyncio.create_task(run_escalation_worker(engine, clock, stop, interval_seconds=0.01))
    for _ in range(500):
        if await _levels(engine, ticket_id):
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert await _levels(engine, ticket_id) == [1]
