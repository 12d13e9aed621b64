"""Use cases that move a ticket along: take, triage, reply, note, resolve, escalate, merge.

Every change goes through ``transitions.move`` (the state table, the clock and a version
check); replies and resolutions are queued to the patient in the same transaction.
"""

from __future__ import annotations

from typing import Any

import structlog

from careline.complaints.feedback import FeedbackDialer, FeedbackOutcome, notify_patient
from careline.complaints.model import (
    MAX_BODY,
    EventKind,
    InvalidTicket,
    SlaPolicy,
    Ticket,
    TicketStatus,
)
from careline.complaints.repository import ComplaintRepository
from careline.complaints.service import sla_clock
from careline.complaints.transitions import escalate, load, move, touch
from careline.db.uow import UnitOfWork
from careline.kit.clock import Clock

log = structlog.get_logger(__name__)
_TAKEABLE = (TicketStatus.NEW, TicketStatus.TRIAGED, TicketStatus.REOPENED, TicketStatus.ESCALATED)


async def change_status(
    uow: UnitOfWork,
    *,
    ticket_id: int,
    to: TicketStatus,
    staff_id: int | None,
    reason: str,
    clock: Clock,
    policy: SlaPolicy | None = None,
) -> Ticket:
    """Move a ticket to another state, recording who and why."""
    if to is TicketStatus.ESCALATED:
        return await escalate_ticket(
            uow, ticket_id=ticket_id, staff_id=staff_id, reason=reason, clock=clock, policy=policy
        )
    repo = ComplaintRepository(uow.connection)
    ticket = await load(repo, ticket_id)
    moved = await move(
        repo,
        ticket,
        to,
        staff_id=staff_id,
        reason=reason,
        now=clock.now(),
        sla=sla_clock(policy, clock),
    )
    await uow.commit()
    return moved


async def take_ticket(
    uow: UnitOfWork, *, ticket_id: int, staff_id: int, clock: Clock, policy: SlaPolicy | None = None
) -> Ticket:
    """Make a handler responsible for a ticket and start work on it."""
    repo = ComplaintRepository(uow.connection)
    ticket = await load(repo, ticket_id)
    now, sla = clock.now(), sla_clock(policy, clock)
    values = {"assignee_staff_id": staff_id}
    if ticket.status in _TAKEABLE:
        ticket = await move(
            repo,
            ticket,
            TicketStatus.IN_PROGRESS,
            staff_id=staff_id,
            reason="taken from the queue",
            now=now,
            sla=sla,
            values=values,
        )
    else:
        ticket = await touch(repo, ticket, now=now, sla=sla, **values)
    await repo.add_event(ticket.id, EventKind.ASSIGNMENT, at=now, staff_id=staff_id)
    await uow.commit()
    return ticket


async def triage_ticket(
    uow: UnitOfWork,
    *,
    ticket_id: int,
    department_id: int | None,
    staff_id: int,
    reason: str,
    multi_department: bool = False,
    clock: Clock,
    policy: SlaPolicy | None = None,
) -> Ticket:
    """Send a ticket to a department's queue (the complaint office's triage)."""
    repo = ComplaintRepository(uow.connection)
    ticket = await load(repo, ticket_id)
    now, sla = clock.now(), sla_clock(policy, clock)
    values: dict[str, Any] = {
        "queue_department_id": department_id,
        "assignee_staff_id": None,
        "multi_department": multi_department,
    }
    if multi_department and not ticket.multi_department:
        # Several departments: the longer legal answer time, counted from receipt.
        days = sla.policy.multi_department_working_days
        values["resolution_due_at"] = sla.due_after(ticket.received_at, days)
        values["warn_at"] = sla.warning_for(values["resolution_due_at"])
    if ticket.status in (TicketStatus.NEW, TicketStatus.REOPENED, TicketStatus.ESCALATED):
        ticket = await move(
            repo,
            ticket,
            TicketStatus.TRIAGED,
            staff_id=staff_id,
            reason=reason or "triaged",
            now=now,
            sla=sla,
            values=values,
        )
    else:
        ticket = await touch(repo, ticket, now=now, sla=sla, **values)
    await uow.commit()
    return ticket


async def add_note(
    uow: UnitOfWork, *, ticket_id: int, staff_id: int, body: str, clock: Clock
) -> None:
    """Add an internal note the patient never sees."""
    text = _text(body)
    repo = ComplaintRepository(uow.connection)
    await load(repo, ticket_id)
    await repo.add_event(ticket_id, EventKind.NOTE, at=clock.now(), staff_id=staff_id, body=text)
    await uow.commit()


def _text(body: str) -> str:
    text = body.strip()
    if not text:
        raise InvalidTicket("Please write something first.", field="body")
    if len(text) > MAX_BODY:
        raise InvalidTicket("The text is too long.", field="body")
    return text


async def reply_to_patient(
    uow: UnitOfWork,
    *,
    ticket_id: int,
    staff_id: int,
    body: str,
    clock: Clock,
    policy: SlaPolicy | None = None,
    dialer: FeedbackDialer | None = None,
) -> FeedbackOutcome:
    """Store a reply, count it as the first response, and send it on the patient's channel."""
    text = _text(body)
    repo = ComplaintRepository(uow.connection)
    ticket = await load(repo, ticket_id)
    now = clock.now()
    if ticket.first_responded_at is None:
        ticket = await touch(
            repo, ticket, now=now, sla=sla_clock(policy, clock), first_responded_at=now
        )
    outcome = await notify_patient(
        uow, ticket=ticket, text=text, purpose="reply", clock=clock, dialer=dialer
    )
    await repo.add_event(
        ticket.id, EventKind.REPLY, at=now, staff_id=staff_id, body=text, reason=_said(outcome)
    )
    await uow.commit()
    return outcome


def _said(outcome: FeedbackOutcome) -> str:
    return f"sent by {outcome.channel.value}" + (f": {outcome.detail}" if outcome.detail else "")


async def resolve_ticket(
    uow: UnitOfWork,
    *,
    ticket_id: int,
    staff_id: int,
    resolution: str,
    clock: Clock,
    policy: SlaPolicy | None = None,
    dialer: FeedbackDialer | None = None,
) -> tuple[Ticket, FeedbackOutcome]:
    """Resolve a ticket with the answer the patient receives."""
    text = _text(resolution)
    repo = ComplaintRepository(uow.connection)
    ticket = await load(repo, ticket_id)
    now = clock.now()
    values: dict[str, Any] = {}
    if ticket.first_responded_at is None:
        values["first_responded_at"] = now
    ticket = await move(
        repo,
        ticket,
        TicketStatus.RESOLVED,
        staff_id=staff_id,
        reason="resolved",
        now=now,
        sla=sla_clock(policy, clock),
        values=values,
    )
    outcome = await notify_patient(
        uow, ticket=ticket, text=text, purpose="resolved", clock=clock, dialer=dialer
    )
    await repo.add_event(
        ticket.id, EventKind.REPLY, at=now, staff_id=staff_id, body=text, reason=_said(outcome)
    )
    await uow.commit()
    return ticket, outcome


async def escalate_ticket(
    uow: UnitOfWork,
    *,
    ticket_id: int,
    staff_id: int | None,
    reason: str,
    clock: Clock,
    policy: SlaPolicy | None = None,
) -> Ticket:
    """Escalate a ticket by hand to the next level, with a reason."""
    repo = ComplaintRepository(uow.connection)
    ticket = await load(repo, ticket_id)
    moved = await escalate(
        repo,
        ticket,
        staff_id=staff_id,
        reason=reason,
        automatic=False,
        now=clock.now(),
        sla=sla_clock(policy, clock),
    )
    await uow.commit()
    log.info("complaint_escalated", ticket_id=ticket_id, level=moved.escalation_level)
    return moved


async def merge_tickets(
    uow: UnitOfWork,
    *,
    duplicate_id: int,
    survivor_id: int,
    staff_id: int,
    reason: str,
    clock: Clock,
    policy: SlaPolicy | None = None,
) -> Ticket:
    """Close a duplicate into the ticket that carries on; its files move over."""
    if duplicate_id == survivor_id:
        raise InvalidTicket("A ticket cannot be merged into itself.", field="survivor")
    repo = ComplaintRepository(uow.connection)
    duplicate = await load(repo, duplicate_id)
    survivor = await load(repo, survivor_id)
    if survivor.merged_into_id is not None or survivor.status is TicketStatus.CLOSED:
        raise InvalidTicket("Merge into a ticket that is still open.", field="survivor")
    now = clock.now()
    why = reason.strip() or f"duplicate of {survivor.number}"
    await move(
        repo,
        duplicate,
        TicketStatus.CLOSED,
        staff_id=staff_id,
        reason=why,
        now=now,
        sla=sla_clock(policy, clock),
        values={"merged_into_id": survivor.id},
    )
    await repo.move_attachments(duplicate.id, survivor.id)
    for ticket, other in ((duplicate, survivor), (survivor, duplicate)):
        await repo.add_event(
            ticket.id, EventKind.MERGE, at=now, staff_id=staff_id, body=other.number, reason=why
        )
    await uow.commit()
    return await load(repo, survivor.id)


async def record_patient_message(
    uow: UnitOfWork, *, ticket_id: int, body: str, clock: Clock, policy: SlaPolicy | None = None
) -> Ticket:
    """Add what the patient sent; a ticket waiting for them goes back to work."""
    repo = ComplaintRepository(uow.connection)
    ticket = await load(repo, ticket_id)
    if ticket.merged_into_id is not None:
        ticket = await load(repo, ticket.merged_into_id)
    now = clock.now()
    await repo.add_event(
        ticket.id, EventKind.PATIENT_MESSAGE, at=now, staff_id=None, body=body[:MAX_BODY]
    )
    if ticket.status is TicketStatus.AWAITING_PATIENT:
        ticket = await move(
            repo,
            ticket,
            TicketStatus.IN_PROGRESS,
            staff_id=None,
            reason="the patient answered",
            now=now,
            sla=sla_clock(policy, clock),
        )
    return ticket
