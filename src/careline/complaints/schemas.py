"""REST shapes of the complaints context."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from careline.complaints.model import (
    MAX_BODY,
    MAX_CATEGORY,
    MAX_SUBJECT,
    FeedbackChannel,
    StatusView,
    Ticket,
    TicketKind,
    TicketStatus,
)
from careline.kit.phones import mask_phone


class TicketCreate(BaseModel):
    """A ticket sent through the REST API (source ``api``)."""

    model_config = ConfigDict(extra="forbid")

    kind: TicketKind = TicketKind.COMPLAINT
    subject: str = Field("", max_length=MAX_SUBJECT)
    body: str = Field(..., min_length=1, max_length=MAX_BODY)
    category: str = Field("", max_length=MAX_CATEGORY)
    department_id: int | None = None
    doctor_id: int | None = None
    patient_id: int | None = None
    contact_name: str = Field("", max_length=64)
    contact_phone: str | None = Field(None, max_length=32)
    contact_email: str | None = Field(None, max_length=320)
    feedback_channel: FeedbackChannel = FeedbackChannel.NONE
    language: str = Field("zh-CN", pattern="^(zh-CN|en)$")
    multi_department: bool = False


class TicketRead(BaseModel):
    id: int
    number: str
    kind: TicketKind
    source: str
    status: TicketStatus
    subject: str
    category: str
    queue_department_id: int | None
    patient_id: int | None
    contact_phone_masked: str | None
    feedback_channel: FeedbackChannel
    escalation_level: int
    received_at: datetime
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None
    resolved_at: datetime | None


def ticket_read(ticket: Ticket) -> TicketRead:
    """Shape a ticket for the API; the phone is masked (tickets are listed widely)."""
    return TicketRead(
        id=ticket.id,
        number=ticket.number,
        kind=ticket.kind,
        source=ticket.source.value,
        status=ticket.status,
        subject=ticket.subject,
        category=ticket.category,
        queue_department_id=ticket.queue_department_id,
        patient_id=ticket.patient_id,
        contact_phone_masked=mask_phone(ticket.contact_phone) if ticket.contact_phone else None,
        feedback_channel=ticket.feedback_channel,
        escalation_level=ticket.escalation_level,
        received_at=ticket.received_at,
        first_response_due_at=ticket.first_response_due_at,
        resolution_due_at=ticket.resolution_due_at,
        resolved_at=ticket.resolved_at,
    )


class StatusQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    number: str = Field(..., max_length=40)
    phone: str = Field(..., max_length=40)


class StatusRead(BaseModel):
    number: str
    status: TicketStatus
    kind: TicketKind
    received_at: datetime
    resolution_due_at: datetime | None
    resolved_at: datetime | None
    last_reply: str


def status_read(view: StatusView) -> StatusRead:
    return StatusRead(
        number=view.number,
        status=view.status,
        kind=view.kind,
        received_at=view.received_at,
        resolution_due_at=view.resolution_due_at,
        resolved_at=view.resolved_at,
        last_reply=view.last_reply,
    )
