"""The escalation worker: claim tickets whose deadline passed, raise each one level, once.

Due rows are the tickets themselves (``next_escalation_at`` / ``warn_at`` in the past). A
round lists them, then handles each in its own transaction: the row is claimed again with
its due condition (PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so a second node skips a ticket
the first holds), changed with a version check, and the escalation row, unique per
(ticket, level), is written in the same transaction. On SQLite, which has no row locks,
the version check is the claim: whoever commits first wins, the other changes nothing. A
worker that dies mid-round rolls back, so the ticket stays due and the next round takes it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.complaints.model import EventKind, SlaPolicy, TicketChanged, TicketStatus
from careline.complaints.repository import ComplaintRepository
from careline.complaints.service import sla_clock
from careline.complaints.transitions import escalate
from careline.db.uow import UnitOfWork, UnitOfWorkFactory
from careline.kit.clock import Clock

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class EscalationRound:
    """What one pass did."""

    escalated: int = 0
    warned: int = 0


async def run_escalation_round(
    uow_factory: UnitOfWorkFactory,
    *,
    clock: Clock,
    policy: SlaPolicy | None = None,
    limit: int = 50,
) -> EscalationRound:
    """Escalate every ticket past its deadline and warn those close to it."""
    now = clock.now()
    async with uow_factory() as uow:
        repo = ComplaintRepository(uow.connection)
        due = await repo.due_ticket_ids("next_escalation_at", now, limit)
        warn = await repo.due_ticket_ids("warn_at", now, limit)
    escalated = warned = 0
    # One transaction per ticket: a lost race on one ticket never undoes another's work.
    for ticket_id in due:
        escalated += await _guarded(_escalate_one, uow_factory, ticket_id, clock, policy)
    for ticket_id in warn:
        warned += await _guarded(_warn_one, uow_factory, ticket_id, clock, policy)
    return EscalationRound(escalated, warned)


Step = Callable[[UnitOfWork, int, Clock, SlaPolicy | None], Awaitable[int]]


async def _guarded(
    step: Step,
    uow_factory: UnitOfWorkFactory,
    ticket_id: int,
    clock: Clock,
    policy: SlaPolicy | None,
) -> int:
    try:
        async with uow_factory() as uow:
            return await step(uow, ticket_id, clock, policy)
    except (TicketChanged, DBAPIError):
        # Another worker or a handler changed the ticket first (a version check that
        # matched nothing, the unique escalation row, or SQLite refusing a stale snapshot);
        # their change stands and this transaction rolled back.
        return 0


async def _escalate_one(
    uow: UnitOfWork, ticket_id: int, clock: Clock, policy: SlaPolicy | None
) -> int:
    sla = sla_clock(policy, clock)
    now = clock.now()
    repo = ComplaintRepository(uow.connection)
    ticket = await repo.claim_due(ticket_id, "next_escalation_at", now)
    if ticket is None:
        return 0  # moved on since it was selected, or another node holds it
    if ticket.escalation_level >= sla.policy.top_level:
        await repo.update(ticket, now=now, next_escalation_at=None)
        await uow.commit()
        return 0
    await escalate(
        repo, ticket, staff_id=None, reason="deadline passed", automatic=True, now=now, sla=sla
    )
    await uow.commit()
    log.info("complaint_auto_escalated", ticket_id=ticket.id, level=ticket.escalation_level + 1)
    return 1


async def _warn_one(uow: UnitOfWork, ticket_id: int, clock: Clock, policy: SlaPolicy | None) -> int:
    del policy
    now = clock.now()
    repo = ComplaintRepository(uow.connection)
    ticket = await repo.claim_due(ticket_id, "warn_at", now)
    if ticket is None:
        return 0
    if not await repo.update(ticket, now=now, warn_at=None):
        return 0
    if ticket.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        await uow.commit()
        return 0
    await repo.add_event(
        ticket.id,
        EventKind.WARNING,
        at=now,
        staff_id=None,
        reason="resolution deadline close",
        body=ticket.resolution_due_at.isoformat() if ticket.resolution_due_at else "",
    )
    await uow.commit()
    log.info("complaint_deadline_warning", ticket_id=ticket.id)
    return 1


async def run_escalation_worker(
    engine: AsyncEngine,
    clock: Clock,
    stop_event: asyncio.Event,
    *,
    policy: SlaPolicy | None = None,
    interval_seconds: float = 30.0,
) -> None:
    """Run escalation rounds until ``stop_event`` is set."""
    while not stop_event.is_set():
        try:
            await run_escalation_round(lambda: UnitOfWork(engine), clock=clock, policy=policy)
        except Exception:  # a bad round must not stop the clock for every other ticket
            log.exception("complaint_escalation_round_failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop_event.wait(), timeout=interval_seconds)
