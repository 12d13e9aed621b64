"""HTTP routes of the consultations context.

Answers never carry a private number: agents and patients learn only whether a doctor can
be put through and when; the doctor's own answer shows the numbers masked.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from careline.consultations import service
from careline.consultations.model import Availability, FeeMode, Outcome
from careline.consultations.pages import DoctorStaff, doctor_of
from careline.consultations.pages import pages as pages
from careline.web.deps import AppClock, CurrentStaff, Uow

api = APIRouter(prefix="/api/v1/consultations", tags=["consultations"])


class AvailabilityRead(BaseModel):
    """Whether a doctor can be put through now, and when next if not."""

    doctor_id: int
    availability: Availability
    next_open_at: str
    fee_mode: FeeMode
    fee_fen: int


class ConsultationRead(BaseModel):
    id: int
    started_at: str
    outcome: Outcome
    seconds: int
    charge_fen: int


class MyConsultationsRead(BaseModel):
    """The signed-in doctor's terms, masked numbers and latest consultations."""

    enabled: bool
    max_call_seconds: int
    fee_mode: FeeMode
    fee_fen: int
    numbers_masked: list[str]
    consultations: list[ConsultationRead]


@api.get("/doctors/{doctor_id}/availability", response_model=AvailabilityRead)
async def availability(
    doctor_id: int, uow: Uow, _staff: CurrentStaff, clock: AppClock
) -> AvailabilityRead:
    """Whether the doctor takes a consultation now (for agents transferring a caller)."""
    offer = await service.check_availability(uow, doctor_id=doctor_id, clock=clock)
    return AvailabilityRead(
        doctor_id=doctor_id,
        availability=offer.availability,
        next_open_at=offer.next_open_at,
        fee_mode=offer.settings.fee_mode,
        fee_fen=offer.settings.fee_fen,
    )


@api.get("/mine", response_model=MyConsultationsRead)
async def mine(uow: Uow, staff: DoctorStaff) -> MyConsultationsRead:
    """The signed-in doctor's consultation terms and records."""
    doctor_id = doctor_of(staff)
    settings = await service.get_settings(uow, doctor_id=doctor_id)
    records = await service.list_consultations(uow, doctor_id=doctor_id)
    return MyConsultationsRead(
        enabled=settings.enabled,
        max_call_seconds=settings.max_call_seconds,
        fee_mode=settings.fee_mode,
        fee_fen=settings.fee_fen,
        numbers_masked=await service.masked_numbers(uow, doctor_id=doctor_id),
        consultations=[
            ConsultationRead(
                id=r.id,
                started_at=r.started_at.isoformat(),
                outcome=r.outcome,
                seconds=r.seconds,
                charge_fen=r.charge_fen,
            )
            for r in records
        ],
    )
