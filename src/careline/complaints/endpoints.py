"""HTTP face of the complaints context: the REST API (pages live in ``pages*.py``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from careline.complaints import service
from careline.complaints.model import TicketDraft, TicketSource
from careline.complaints.pages import HANDLERS, policy_of
from careline.complaints.pages import pages as _handler_pages
from careline.complaints.pages_public import pages as _public_pages
from careline.complaints.pages_reports import pages as _report_pages
from careline.complaints.pages_rules import pages as _rule_pages
from careline.complaints.schemas import (
    StatusQuery,
    StatusRead,
    TicketCreate,
    TicketRead,
    status_read,
    ticket_read,
)
from careline.staff.model import Role, StaffMember
from careline.web.deps import AppClock, Uow, require_staff

api = APIRouter(prefix="/api/v1/complaints", tags=["complaints"])
pages = APIRouter(include_in_schema=False)
# Fixed paths before "/complaints/{ticket_id}" so they are not read as ticket ids.
pages.include_router(_report_pages)
pages.include_router(_rule_pages)
pages.include_router(_public_pages)
pages.include_router(_handler_pages)
Intake = Annotated[StaffMember, Depends(require_staff(Role.AGENT, *HANDLERS))]
Handler = Annotated[StaffMember, Depends(require_staff(*HANDLERS))]


@api.post("", response_model=TicketRead, status_code=201)
async def create_ticket(
    request: Request, body: TicketCreate, uow: Uow, staff: Intake, clock: AppClock
) -> TicketRead:
    """Open a ticket; the caller is recorded as the first contact."""
    draft = TicketDraft(
        source=TicketSource.API, first_contact_staff_id=staff.id, **body.model_dump()
    )
    ticket = await service.open_ticket(uow, draft=draft, clock=clock, policy=policy_of(request))
    return ticket_read(ticket)


@api.get("/{number}", response_model=TicketRead)
async def read_ticket(number: str, uow: Uow, _staff: Handler) -> TicketRead:
    """Return a ticket by its 12-digit number."""
    return ticket_read(await service.find_ticket(uow, number=number))


@api.post("/status", response_model=StatusRead)
async def ticket_status(query: StatusQuery, uow: Uow) -> StatusRead:
    """Return a ticket's status to whoever knows its number and the phone left with it."""
    view = await service.check_status_with_phone(uow, number=query.number, phone=query.phone)
    return status_read(view)
