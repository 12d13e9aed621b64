"""Use cases of the complaints context: open tickets, read them, rules, status for patients."""

from __future__ import annotations

import unicodedata
from dataclasses import replace

import structlog

from careline.complaints.clockwork import next_escalation_due
from careline.complaints.model import (
    MAX_BODY,
    MAX_CATEGORY,
    MAX_SUBJECT,
    Attachment,
    EventKind,
    FeedbackChannel,
    InvalidTicket,
    SlaPolicy,
    StatusView,
    Ticket,
    TicketDraft,
    TicketEvent,
    TicketKind,
    TicketNotFound,
    TicketSource,
    TicketStatus,
    make_ticket_number,
    parse_ticket_number,
)
from careline.complaints.repository import ComplaintRepository
from careline.complaints.routing import RoutingRule, route_ticket
from careline.complaints.sla import SlaClock
from careline.db.uow import UnitOfWork
from careline.kit.clock import Clock
from careline.kit.phones import InvalidPhoneNumber, is_mobile, normalize_phone
from careline.patients import service as patients

log = structlog.get_logger(__name__)
DEFAULT_POLICY = SlaPolicy()
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


def sla_clock(policy: SlaPolicy | None, clock: Clock) -> SlaClock:
    """Return the SLA clock for ``policy`` in the hospital's zone."""
    return SlaClock(policy or DEFAULT_POLICY, clock.zone)


def _clean_draft(draft: TicketDraft) -> TicketDraft:
    subject = unicodedata.normalize("NFC", draft.subject).strip()
    body = unicodedata.normalize("NFC", draft.body).strip()
    if not subject and not body and not draft.recording_path:
        raise InvalidTicket("Please describe the matter.", field="body")
    if len(subject) > MAX_SUBJECT:
        raise InvalidTicket("The subject is too long.", field="subject")
    if len(body) > MAX_BODY:
        raise InvalidTicket("The description is too long.", field="body")
    if len(draft.category) > MAX_CATEGORY:
        raise InvalidTicket("The category is too long.", field="category")
    phone = None
    if draft.contact_phone and draft.contact_phone.strip():
        try:
            phone = normalize_phone(draft.contact_phone)
        except InvalidPhoneNumber as exc:
            raise InvalidTicket(exc.reason, field="contact_phone") from exc
    email = (draft.contact_email or "").strip() or None
    if email and ("@" not in email or any(char.isspace() for char in email)):
        raise InvalidTicket("The email address is not valid.", field="contact_email")
    channel = draft.feedback_channel
    if channel is FeedbackChannel.EMAIL and not email:
        raise InvalidTicket("An email address is needed to answer by email.", field="contact_email")
    if channel in (FeedbackChannel.SMS, FeedbackChannel.VOICE) and not phone:
        raise InvalidTicket("A phone number is needed to answer by phone.", field="contact_phone")
    return replace(
        draft,
        subject=subject or body[:60],
        body=body,
        category=draft.category.strip(),
        contact_name=draft.contact_name.strip()[:64],
        contact_phone=phone,
        contact_email=email,
    )


async def open_ticket(
    uow: UnitOfWork, *, draft: TicketDraft, clock: Clock, policy: SlaPolicy | None = None
) -> Ticket:
    """Validate, number, route and store a new ticket with its deadlines."""
    draft = _clean_draft(draft)
    if draft.patient_id is not None and not await patients.list_patients(
        uow, patient_ids=[draft.patient_id]
    ):
        raise InvalidTicket("There is no patient with this record number.", field="patient_id")
    repo = ComplaintRepository(uow.connection)
    now = clock.now()
    sla = sla_clock(policy, clock)
    sequence = await repo.next_sequence(clock.today())
    number = make_ticket_number(clock.today(), sequence)
    rule = route_ticket(draft, await repo.rules())
    deadlines = sla.deadlines(now, multi_department=draft.multi_department)
    ticket = await repo.add(
        draft,
        number=number,
        status=TicketStatus.NEW.value,
        queue_department_id=rule.target_department_id if rule else None,
        received_at=now,
        first_response_due_at=deadlines.first_response_due_at,
        resolution_due_at=deadlines.resolution_due_at,
        warn_at=deadlines.warn_at,
        next_escalation_at=next_escalation_due(
            status=TicketStatus.NEW,
            level=0,
            policy=sla.policy,
            first_response_due_at=deadlines.first_response_due_at,
            first_responded_at=None,
            resolution_due_at=deadlines.resolution_due_at,
        ),
        updated_at=now,
    )
    why = f"routing rule {rule.id}" if rule else "no rule matched: complaint office triage"
    await repo.add_event(
        ticket.id,
        EventKind.STATUS,
        at=now,
        staff_id=draft.first_contact_staff_id,
        to_status=TicketStatus.NEW,
        reason=why,
    )
    await uow.commit()
    log.info("complaint_ticket_opened", ticket_id=ticket.id, source=draft.source.value)
    return ticket


async def open_voice_ticket(
    uow: UnitOfWork,
    *,
    recording_path: str,
    caller_phone: str | None,
    clock: Clock,
    kind: TicketKind = TicketKind.COMPLAINT,
    language: str = "zh-CN",
    policy: SlaPolicy | None = None,
) -> Ticket:
    """Open a ticket from a voice message left in the IVR (path relative to the data dir)."""
    try:
        phone = normalize_phone(caller_phone) if caller_phone else None
    except InvalidPhoneNumber:
        phone = None  # a withheld or odd caller ID must not lose the message
    channel = FeedbackChannel.NONE
    if phone is not None:
        channel = FeedbackChannel.SMS if is_mobile(phone) else FeedbackChannel.VOICE
    draft = TicketDraft(
        kind=kind,
        source=TicketSource.IVR,
        subject="",
        body="",
        recording_path=recording_path,
        contact_phone=phone,
        feedback_channel=channel,
        language=language,
    )
    return await open_ticket(uow, draft=draft, clock=clock, policy=policy)


async def get_ticket(uow: UnitOfWork, *, ticket_id: int) -> Ticket:
    """Return one ticket."""
    ticket = await ComplaintRepository(uow.connection).get(ticket_id)
    if ticket is None:
        raise TicketNotFound("There is no ticket with this number.")
    return ticket


async def find_ticket(uow: UnitOfWork, *, number: str) -> Ticket:
    """Return the ticket with a typed number (check digit verified)."""
    canonical = parse_ticket_number(number)
    ticket = await ComplaintRepository(uow.connection).get_by_number(canonical)
    if ticket is None:
        raise TicketNotFound("There is no ticket with this number.", field="number")
    return ticket


async def ticket_history(uow: UnitOfWork, *, ticket_id: int) -> list[TicketEvent]:
    """Return a ticket's events, oldest first."""
    return await ComplaintRepository(uow.connection).events(ticket_id)


async def list_attachments(uow: UnitOfWork, *, ticket_id: int) -> list[Attachment]:
    """Return a ticket's attachments (without their data)."""
    return await ComplaintRepository(uow.connection).attachments(ticket_id)


async def get_attachment(uow: UnitOfWork, *, attachment_id: int) -> tuple[Attachment, bytes]:
    """Return an attachment and its bytes; refused ones have none to give."""
    found = await ComplaintRepository(uow.connection).attachment_data(attachment_id)
    if found is None or found[1] is None:
        raise TicketNotFound("There is no such attachment.")
    return found[0], found[1]


async def add_attachment(
    uow: UnitOfWork,
    *,
    ticket_id: int,
    filename: str,
    content_type: str,
    data: bytes | None,
    size: int | None = None,
    refused_reason: str | None = None,
    clock: Clock,
    max_bytes: int = MAX_ATTACHMENT_BYTES,
) -> None:
    """Keep a file on a ticket; one over the limit keeps only its name, size and why."""
    await get_ticket(uow, ticket_id=ticket_id)
    real_size = size if size is not None else len(data or b"")
    if data is not None and len(data) > max_bytes:
        data, refused_reason = None, refused_reason or "attachment too large"
    await ComplaintRepository(uow.connection).add_attachment(
        ticket_id,
        filename=(filename or "attachment")[:255],
        content_type=(content_type or "application/octet-stream")[:100],
        size=real_size,
        data=data,
        refused_reason=refused_reason,
        at=clock.now(),
    )
    await uow.commit()


async def list_queue(
    uow: UnitOfWork,
    *,
    department_id: int | None,
    statuses: tuple[TicketStatus, ...] = (),
    limit: int = 200,
) -> list[Ticket]:
    """Return a department's queue, or the complaint office's when ``department_id`` is None."""
    return await ComplaintRepository(uow.connection).list_tickets(
        department_id=department_id,
        office=department_id is None,
        statuses=statuses,
        limit=limit,
    )


async def list_patient_tickets(uow: UnitOfWork, *, patient_id: int) -> list[Ticket]:
    """Return every ticket linked to a patient."""
    return await ComplaintRepository(uow.connection).list_tickets(patient_id=patient_id)


async def list_overdue(uow: UnitOfWork, *, clock: Clock) -> list[Ticket]:
    """Return open tickets past a deadline."""
    open_states = tuple(
        s for s in TicketStatus if s not in (TicketStatus.RESOLVED, TicketStatus.CLOSED)
    )
    found = await ComplaintRepository(uow.connection).list_tickets(
        statuses=open_states, overdue_at=clock.now()
    )
    return [ticket for ticket in found if ticket.overdue(clock.now())]


async def list_escalated(uow: UnitOfWork) -> list[Ticket]:
    """Return unfinished tickets escalated beyond their department."""
    open_states = tuple(
        s for s in TicketStatus if s not in (TicketStatus.RESOLVED, TicketStatus.CLOSED)
    )
    return await ComplaintRepository(uow.connection).list_tickets(statuses=open_states, min_level=1)


async def get_ticket_status(uow: UnitOfWork, *, number: str) -> StatusView:
    """Return what the patient may hear about a ticket (for the IVR)."""
    ticket = await find_ticket(uow, number=number)
    if ticket.merged_into_id is not None:
        ticket = await get_ticket(uow, ticket_id=ticket.merged_into_id)
    replies = [
        event.body
        for event in await ComplaintRepository(uow.connection).events(ticket.id)
        if event.kind is EventKind.REPLY
    ]
    return StatusView(
        number=ticket.number,
        status=ticket.status,
        kind=ticket.kind,
        received_at=ticket.received_at,
        resolution_due_at=ticket.resolution_due_at,
        resolved_at=ticket.resolved_at,
        last_reply=replies[-1] if replies else "",
    )


async def check_status_with_phone(uow: UnitOfWork, *, number: str, phone: str) -> StatusView:
    """Return a ticket's status when the phone matches the one the patient left."""
    canonical = parse_ticket_number(number)
    try:
        e164 = normalize_phone(phone)
    except InvalidPhoneNumber as exc:
        raise InvalidTicket(exc.reason, field="phone") from exc
    ticket = await ComplaintRepository(uow.connection).get_by_number(canonical)
    # One answer for "no such ticket" and "not your phone": numbers are guessable.
    if ticket is None or ticket.contact_phone != e164:
        raise TicketNotFound("No ticket matches this number and phone.", field="number")
    return await get_ticket_status(uow, number=canonical)


async def add_routing_rule(uow: UnitOfWork, *, rule: RoutingRule) -> int:
    """Store a routing rule; return its id."""
    rule_id = await ComplaintRepository(uow.connection).add_rule(rule)
    await uow.commit()
    return rule_id


async def list_routing_rules(uow: UnitOfWork) -> list[RoutingRule]:
    """Return the routing rules in the order they are tried."""
    return await ComplaintRepository(uow.connection).rules()


async def delete_routing_rule(uow: UnitOfWork, *, rule_id: int) -> None:
    """Remove a routing rule."""
    if not await ComplaintRepository(uow.connection).delete_rule(rule_id):
        raise TicketNotFound("There is no such routing rule.")
    await uow.commit()
