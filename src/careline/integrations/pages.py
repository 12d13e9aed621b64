"""Staff pages of the integrations context (admins only: payloads hold patient data)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from careline.integrations import service
from careline.staff.model import Role, StaffMember
from careline.web.deps import Uow, render, require_staff

pages = APIRouter()
Admin = Annotated[StaffMember, Depends(require_staff(Role.ADMIN))]
PAGE = 50
DIRECTIONS = {"in": "Inbound", "out": "Outbound"}
OUTCOMES = {
    "accepted": "Accepted",
    "error": "Application error",
    "rejected": "Rejected",
    "duplicate": "Duplicate",
    "sent": "Sent",
    "failed": "Failed",
    "conflict": "Conflict",
}


@pages.get("/staff/integrations/exchange-log", response_class=HTMLResponse)
async def exchange_log_page(
    request: Request, uow: Uow, _staff: Admin, offset: Annotated[int, Query(ge=0)] = 0
) -> HTMLResponse:
    """Show the messages exchanged with the HIS."""
    entries = await service.exchange_log(uow, limit=PAGE, offset=offset)
    context = {
        "entries": entries,
        "limit": PAGE,
        "offset": offset,
        "directions": DIRECTIONS,
        "outcomes": OUTCOMES,
    }
    return render(request, "integrations/exchange_log.html", context)
