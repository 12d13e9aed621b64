"""HTTP routes of the integrations context: the FHIR face and the admin API.

The exchange log holds message payloads with patient data, so every admin route here
needs the admin role.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from careline.integrations import service
from careline.integrations.fhir.endpoints import router as fhir_router
from careline.integrations.model import PushStatus
from careline.integrations.pages import pages as staff_pages
from careline.integrations.schemas import (
    ClientTokenCreate,
    ClientTokenRead,
    ConflictRead,
    ExchangeRead,
    PushRead,
)
from careline.staff.model import Role, StaffMember
from careline.web.deps import AppClock, Uow, require_staff

api = APIRouter(prefix="/api/v1/integrations", tags=["integrations"])
pages = APIRouter()
pages.include_router(fhir_router)
pages.include_router(staff_pages)
Admin = Annotated[StaffMember, Depends(require_staff(Role.ADMIN))]


@api.post("/client-tokens", status_code=201)
async def create_client_token(
    body: ClientTokenCreate, uow: Uow, _staff: Admin, clock: AppClock
) -> ClientTokenRead:
    """Create a bearer token for a system client of the FHIR face (shown only now)."""
    token_id, token = await service.create_client_token(uow, name=body.name, clock=clock)
    return ClientTokenRead(id=token_id, name=body.name, token=token)


@api.delete("/client-tokens/{token_id}", status_code=204)
async def revoke_client_token(token_id: int, uow: Uow, _staff: Admin, clock: AppClock) -> None:
    """Revoke a system client's token."""
    await service.revoke_client_token(uow, token_id=token_id, clock=clock)


@api.get("/exchange-log")
async def exchange_log(
    uow: Uow,
    _staff: Admin,
    control_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[ExchangeRead]:
    """Return messages in and out, newest first."""
    entries = await service.exchange_log(uow, limit=limit, offset=offset, control_id=control_id)
    return [
        ExchangeRead(
            id=e.id,
            at=e.at,
            direction=e.direction.value,
            protocol=e.protocol.value,
            kind=e.kind,
            control_id=e.control_id,
            outcome=e.outcome.value,
            error=e.error,
            payload=e.payload,
        )
        for e in entries
    ]


@api.get("/identifier-conflicts")
async def identifier_conflicts(uow: Uow, _staff: Admin) -> list[ConflictRead]:
    """Return HIS identifiers claimed for two patients, for staff to resolve."""
    return [
        ConflictRead(
            id=c.id,
            system=c.system.value,
            value=c.value,
            held_by_patient_id=c.held_by_patient_id,
            claimed_for_patient_id=c.claimed_for_patient_id,
            source=c.source,
            created_at=c.created_at,
        )
        for c in await service.open_conflicts(uow)
    ]


@api.get("/pushes")
async def pushes(uow: Uow, _staff: Admin, status: PushStatus | None = None) -> list[PushRead]:
    """Return pushes to the HIS and their state."""
    return [
        PushRead(
            id=p.id,
            booking_id=p.booking_id,
            event=p.event.value,
            target=p.target.value,
            status=p.status.value,
            attempts=p.attempts,
            next_attempt_at=p.next_attempt_at,
            last_error=p.last_error,
        )
        for p in await service.list_pushes(uow, status=status)
    ]
