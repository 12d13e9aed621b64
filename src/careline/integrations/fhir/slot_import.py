"""A HIS's FHIR Slots matched to Careline's clinic periods.

Careline's places come from each doctor's weekly clinic template and the directory's
exceptions (leave, holidays, stopped clinics); the directory and scheduling services offer
no way to open, widen or fill one dated booking period. So a Slot is read, matched to the
Careline period it falls in (Schedule -> Practitioner -> doctor number -> clinic period)
and logged as not applied (outcome ``rejected``) with the reason: Careline's capacity is
never changed from a Slot, and a HIS that owns the schedule books through Appointments.
A Slot that cannot even be matched is logged as ``error`` with why.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

import structlog

from careline.db.uow import UnitOfWork
from careline.directory import service as directory
from careline.directory.model import DirectoryNotFound, SessionPeriod
from careline.integrations import service
from careline.integrations.booking_sync import HisBookingRules, NoClinicAtThisTime, clinic_period_at
from careline.integrations.fhir.client import FhirClient, FhirClientError
from careline.integrations.fhir.parse import SlotFields, doctor_number_of, slot_from_fhir
from careline.integrations.fhir.resources import InvalidResource, Resource
from careline.integrations.model import (
    Direction,
    ExchangeEntry,
    IntegrationError,
    Outcome,
    Protocol,
)
from careline.kit.clock import Clock
from careline.kit.errors import CarelineError

log = structlog.get_logger(__name__)


class SlotWithoutPractitioner(IntegrationError):
    status_code = 404
    error_id = "his_slot_no_practitioner"

    def __init__(self) -> None:
        super().__init__("The Slot's schedule names no practitioner.")


class SlotNotApplied(IntegrationError):
    status_code = 409
    error_id = "his_slot_not_applied"

    def __init__(self) -> None:
        super().__init__(
            "Careline does not change clinic places from a HIS Slot: they come from the "
            "doctor's weekly clinic template."
        )


@dataclass(frozen=True, slots=True)
class SlotMatch:
    """The Careline clinic period a HIS Slot falls in, and what each side says of it."""

    his_status: str
    doctor_id: int
    day: date
    period: SessionPeriod
    period_index: int
    starts_at: datetime
    ends_at: datetime
    capacity: int
    cancelled: bool


async def import_slot(
    uow_factory: Callable[[], UnitOfWork],
    client: FhirClient,
    resource: Resource,
    *,
    rules: HisBookingRules,
    clock: Clock,
) -> SlotMatch | None:
    """Match a HIS Slot to Careline's clinic period and log it; no place is changed."""
    try:
        match = await _match(uow_factory, client, slot_from_fhir(resource), rules)
    except (CarelineError, FhirClientError, InvalidResource) as exc:
        message = exc.message if isinstance(exc, CarelineError) else str(exc)[:200]
        await _log(uow_factory, resource, Outcome.ERROR, message, clock)
        return None
    await _log(uow_factory, resource, Outcome.REJECTED, SlotNotApplied().message, clock)
    log.info("fhir.slot_not_applied", slot=str(resource.get("id", "")), status=match.his_status)
    return match


async def _match(
    uow_factory: Callable[[], UnitOfWork],
    client: FhirClient,
    slot: SlotFields,
    rules: HisBookingRules,
) -> SlotMatch:
    schedule = await client.read("Schedule", slot.schedule_id or "-")
    actors = [str(a.get("reference", "")) for a in schedule.get("actor", [])]
    practitioner_id = next(
        (a.removeprefix("Practitioner/") for a in actors if a.startswith("Practitioner/")), None
    )
    if not practitioner_id:
        raise SlotWithoutPractitioner()
    number = doctor_number_of(await client.read("Practitioner", practitioner_id)) or ""
    async with uow_factory() as uow:
        try:
            doctor = await directory.doctor_by_number(uow, doctor_number=number)
        except DirectoryNotFound as exc:
            raise NoClinicAtThisTime() from exc
        session, period = await clinic_period_at(
            uow, doctor_id=doctor.id, start=slot.start, rules=rules
        )
    return SlotMatch(
        his_status=slot.status,
        doctor_id=doctor.id,
        day=session.day,
        period=session.period,
        period_index=period.index,
        starts_at=period.starts_at,
        ends_at=period.ends_at,
        capacity=period.capacity,
        cancelled=session.cancelled,
    )


async def _log(
    uow_factory: Callable[[], UnitOfWork],
    resource: Resource,
    outcome: Outcome,
    error: str,
    clock: Clock,
) -> None:
    async with uow_factory() as uow:
        await service.record_exchange(
            uow,
            entry=ExchangeEntry(
                direction=Direction.IN,
                protocol=Protocol.FHIR,
                kind="Slot",
                control_id=str(resource.get("id", "")),
                outcome=outcome,
                error=error,
                payload=json.dumps(resource, ensure_ascii=False),
            ),
            clock=clock,
        )
