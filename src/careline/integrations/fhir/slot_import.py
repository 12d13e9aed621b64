"""A HIS's FHIR Slots applied to Careline's dated booking periods.

A Slot is matched to the Careline period it starts in (Schedule -> Practitioner -> doctor
number -> clinic period) and applied to that one day's period through scheduling's
period-capacity use cases, which lock the session and never leave fewer places than
bookings already hold:

- ``free`` with the ``SLOT_CAPACITY`` extension: the period gets that many places;
- ``free`` without it: a period without places gets one, any other stays as it is;
- ``busy-unavailable``: the period closes to new bookings (places = those booked);
- ``busy``, ``busy-tentative``, ``entered-in-error``: no change (the HIS books its
  places through Appointments).

An applied Slot is logged ``accepted`` (with a note when nothing changed); a Slot that
cannot be matched or applied (no such clinic, a stopped session, fewer places than are
booked) is logged ``error`` with the reason and changes nothing.
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
from careline.scheduling import clinic as places
from careline.scheduling import service as scheduling
from careline.scheduling.model import SessionCancelled

log = structlog.get_logger(__name__)

# Statuses that leave Careline's places as they are.
UNCHANGING = {
    "busy": "No change: the HIS books a busy Slot's places through Appointments.",
    "busy-tentative": "No change: the HIS books a busy Slot's places through Appointments.",
    "entered-in-error": "No change: the HIS entered this Slot in error.",
}
ALREADY_SO = "No change: the period already has these places."


class SlotWithoutPractitioner(IntegrationError):
    status_code = 404
    error_id = "his_slot_no_practitioner"

    def __init__(self) -> None:
        super().__init__("The Slot's schedule names no practitioner.")


@dataclass(frozen=True, slots=True)
class SlotMatch:
    """The Careline period a HIS Slot was applied to, and its places afterwards."""

    his_status: str
    doctor_id: int
    day: date
    period: SessionPeriod
    period_index: int
    starts_at: datetime
    ends_at: datetime
    capacity: int  # the period's places once the Slot is applied
    changed: bool
    note: str = ""


async def import_slot(
    uow_factory: Callable[[], UnitOfWork],
    client: FhirClient,
    resource: Resource,
    *,
    rules: HisBookingRules,
    clock: Clock,
) -> SlotMatch | None:
    """Apply a HIS Slot to its Careline period and log it; None when refused (logged)."""
    slot_id = str(resource.get("id", ""))
    try:
        slot = slot_from_fhir(resource)
        doctor_id = await _doctor_of(uow_factory, client, slot)
        async with uow_factory() as uow:
            match = await _apply(uow, doctor_id, slot, slot_id, rules)
    except (CarelineError, FhirClientError, InvalidResource) as exc:
        message = exc.message if isinstance(exc, CarelineError) else str(exc)[:200]
        await _log(uow_factory, resource, Outcome.ERROR, message, clock)
        return None
    await _log(uow_factory, resource, Outcome.ACCEPTED, match.note, clock)
    log.info("fhir.slot_applied", slot=slot_id, status=match.his_status, changed=match.changed)
    return match


async def _doctor_of(
    uow_factory: Callable[[], UnitOfWork], client: FhirClient, slot: SlotFields
) -> int:
    """Return the Careline doctor of the Slot's Schedule (its first Practitioner actor)."""
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
    return doctor.id


async def _apply(
    uow: UnitOfWork, doctor_id: int, slot: SlotFields, slot_id: str, rules: HisBookingRules
) -> SlotMatch:
    """Change the period's places as the Slot's status says; return the period after."""
    clinic, before = await clinic_period_at(uow, doctor_id=doctor_id, start=slot.start, rules=rules)
    if slot.status in UNCHANGING:
        await _check_open(uow, doctor_id, clinic.day, clinic.period, cancelled=clinic.cancelled)
        capacity = before.capacity
    else:
        session = await places.change_period_places(
            uow,
            doctor_id=doctor_id,
            day=clinic.day,
            period=clinic.period,
            period_index=before.index,
            rule=_rule(slot),
            reason=f"HIS Slot {slot_id}",
            clock=rules.clock,
            policy=rules.policy,
        )
        capacity = session.periods(rules.policy)[before.index].capacity
    note = UNCHANGING.get(slot.status) or (ALREADY_SO if capacity == before.capacity else "")
    return SlotMatch(
        his_status=slot.status,
        doctor_id=doctor_id,
        day=clinic.day,
        period=clinic.period,
        period_index=before.index,
        starts_at=before.starts_at,
        ends_at=before.ends_at,
        capacity=capacity,
        changed=capacity != before.capacity,
        note=note,
    )


def _rule(slot: SlotFields) -> places.PlacesRule:
    """How the Slot's status changes its period's places."""
    if slot.status == "free":
        return (
            places.reopen_period if slot.capacity is None else places.places_set_to(slot.capacity)
        )
    if slot.status == "busy-unavailable":
        return places.close_period
    raise InvalidResource(f"A Slot's status cannot be {slot.status[:40]!r}.")


async def _check_open(
    uow: UnitOfWork, doctor_id: int, day: date, period: SessionPeriod, *, cancelled: bool
) -> None:
    """Refuse a Slot of a clinic that does not take place, as the changing statuses do."""
    if cancelled:
        raise SessionCancelled("This clinic session does not take place.")
    stored = await scheduling.find_session(uow, doctor_id=doctor_id, day=day, period=period)
    if stored is not None and stored.stopped:
        raise SessionCancelled("This clinic session has been cancelled by the hospital.")


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
