"""The one way a ticket changes: the state table, the clock and a version check.

``move`` applies the state table, pauses or resumes the SLA clock, recomputes the next
escalation time and writes the row only if nobody changed it since it was read, so two
handlers, or a handler and the escalation worker, never both win.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from careline.complaints.clockwork import next_escalation_due
from careline.complaints.model import (
    MAX_REASON,
    OPEN_STATES,
    EventKind,
    InvalidTransition,
    Ticket,
    TicketChanged,
    TicketNotFound,
    TicketStatus,
    check_transition,
)
from careline.complaints.repository import ComplaintRepository
from careline.complaints.sla import SlaClock


async def load(repo: ComplaintRepository, ticket_id: int) -> Ticket:
    ticket = await repo.get(ticket_id)
    if ticket is None:
        raise TicketNotFound("There is no ticket with this number.")
    return ticket


def _clock_values(
    ticket: Ticket, to: TicketStatus, now: datetime, sla: SlaClock, values: dict[str, Any]
) -> None:
    """Pause, resume or restart the clock for a move to ``to`` (fills ``values``)."""
    deadlines_moved = "resolution_due_at" in values
    if to is TicketStatus.AWAITING_PATIENT and ticket.status is not to:
        values["paused_at"] = now
    elif ticket.status is TicketStatus.AWAITING_PATIENT and ticket.paused_at is not None:
        days = sla.paused_working_days(ticket.paused_at, now)
        values["paused_at"] = None
        values["first_response_due_at"] = sla.extend(ticket.first_response_due_at, days)
        values.setdefault("resolution_due_at", sla.extend(ticket.resolution_due_at, days))
        deadlines_moved = True
    if to is TicketStatus.RESOLVED:
        values["resolved_at"] = now
    if to is TicketStatus.REOPENED:
        values["resolved_at"] = None
        values["resolution_due_at"] = sla.due_after(now, sla.policy.resolution_working_days)
        deadlines_moved = True
    merged = {**_fields(ticket), **values, "status": to}
    values["next_escalation_at"] = next_escalation_due(
        status=to,
        level=merged["escalation_level"],
        policy=sla.policy,
        first_response_due_at=merged["first_response_due_at"],
        first_responded_at=merged["first_responded_at"],
        resolution_due_at=merged["resolution_due_at"],
    )
    if to not in OPEN_STATES:
        values["warn_at"] = None
    elif deadlines_moved and merged["resolution_due_at"] is not None:
        warn = sla.warning_for(merged["resolution_due_at"])
        values["warn_at"] = warn if warn > now else None


def _fields(ticket: Ticket) -> dict[str, Any]:
    return {
        "escalation_level": ticket.escalation_level,
        "first_response_due_at": ticket.first_response_due_at,
        "first_responded_at": ticket.first_responded_at,
        "resolution_due_at": ticket.resolution_due_at,
    }


async def move(
    repo: ComplaintRepository,
    ticket: Ticket,
    to: TicketStatus,
    *,
    staff_id: int | None,
    reason: str,
    now: datetime,
    sla: SlaClock,
    values: dict[str, Any] | None = None,
) -> Ticket:
    check_transition(ticket.status, to, reason)
    values = dict(values or {})
    _clock_values(ticket, to, now, sla, values)
    if not await repo.update(ticket, now=now, status=to.value, **values):
        raise TicketChanged("Someone else changed this ticket; reload and try again.")
    await repo.add_event(
        ticket.id,
        EventKind.STATUS,
        at=now,
        staff_id=staff_id,
        from_status=ticket.status,
        to_status=to,
        reason=reason.strip()[:MAX_REASON],
    )
    return await load(repo, ticket.id)


async def touch(
    repo: ComplaintRepository, ticket: Ticket, *, now: datetime, sla: SlaClock, **values: Any
) -> Ticket:
    """Change columns without a state move, keeping the escalation time in step."""
    merged = {**_fields(ticket), **values}
    values["next_escalation_at"] = next_escalation_due(
        status=ticket.status,
        level=merged["escalation_level"],
        policy=sla.policy,
        first_response_due_at=merged["first_response_due_at"],
        first_responded_at=merged["first_responded_at"],
        resolution_due_at=merged["resolution_due_at"],
    )
    if not await repo.update(ticket, now=now, **values):
        raise TicketChanged("Someone else changed this ticket; reload and try again.")
    return await load(repo, ticket.id)


async def escalate(
    repo: ComplaintRepository,
    ticket: Ticket,
    *,
    staff_id: int | None,
    reason: str,
    automatic: bool,
    now: datetime,
    sla: SlaClock,
) -> Ticket:
    """Raise a ticket one level; raise TicketChanged if someone else moved it first."""
    level = ticket.escalation_level + 1
    if level > sla.policy.top_level:
        raise InvalidTransition("The ticket is already at the highest level.")
    moved = await move(
        repo,
        ticket,
        TicketStatus.ESCALATED,
        staff_id=staff_id,
        reason=reason,
        now=now,
        sla=sla,
        values={
            "escalation_level": level,
            "resolution_due_at": sla.next_level_due(now),
            "assignee_staff_id": None,
        },
    )
    await repo.add_escalation(
        ticket.id, level, automatic=automatic, staff_id=staff_id, reason=reason, at=now
    )
    await repo.add_event(
        ticket.id,
        EventKind.ESCALATION,
        at=now,
        staff_id=staff_id,
        body=sla.policy.levels[level],
        reason=reason,
    )
    return moved
