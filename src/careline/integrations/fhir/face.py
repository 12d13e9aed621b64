"""Careline's FHIR server face: the use cases behind ``/fhir`` (read, search, book, cancel).

Reads of patients by system clients are written to the audit log like staff reads, with
the client's name as the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from careline.db.uow import UnitOfWork
from careline.directory import service as directory
from careline.directory.model import DirectoryNotFound, Doctor
from careline.integrations import service
from careline.integrations.booking_sync import HisBookingRules, booking_request
from careline.integrations.fhir import resources as fhir
from careline.integrations.fhir.resources import Resource, validate
from careline.integrations.model import HisIdentifier, IntegrationError
from careline.patients import service as patients
from careline.scheduling import service as scheduling
from careline.scheduling.availability import free_periods
from careline.scheduling.model import BookingNotFound, BookingStatus
from careline.staff.audit import record_access

MAX_COUNT = 200


class FhirNotFound(IntegrationError):
    status_code = 404
    error_id = "fhir_not_found"

    def __init__(self) -> None:
        super().__init__("The resource does not exist.")


class FhirInvalid(IntegrationError):
    status_code = 400
    error_id = "fhir_invalid"


@dataclass(frozen=True, slots=True)
class Page:
    count: int = 50
    offset: int = 0

    @classmethod
    def of(cls, count: int | None, offset: int | None) -> Page:
        return cls(max(1, min(count or 50, MAX_COUNT)), max(0, offset or 0))


def _int_id(text: str) -> int:
    if not text.isdigit():
        raise FhirNotFound()
    return int(text)


async def read_patient(uow: UnitOfWork, *, resource_id: str, client: str) -> Resource:
    """Return one Patient and audit the read."""
    found = await patients.list_patients(uow, patient_ids=[_int_id(resource_id)])
    if not found:
        raise FhirNotFound()
    return (await _patients(uow, found, client))[0]


async def _patients(uow: UnitOfWork, found: list[Any], client: str) -> list[Resource]:
    result = []
    for patient in found:
        identifiers = await service.identifiers_of(uow, patient_id=patient.id)
        result.append(validate(fhir.patient_resource(patient, identifiers)))
        await record_access(
            uow.connection,
            staff_id=None,
            action="read",
            subject="patient",
            subject_id=patient.id,
            context=f"fhir client {client}"[:200],
        )
    await uow.commit()
    return result


async def search_patients(
    uow: UnitOfWork,
    *,
    client: str,
    identifier: HisIdentifier | None = None,
    name: str | None = None,
    since: datetime | None = None,
    page: Page = Page(),
) -> list[Resource]:
    """Search Patients by identifier, name prefix or ``_lastUpdated``."""
    if identifier is not None:
        found_id = await service.find_patient(uow, identifiers=[identifier])
        ids = [found_id] if found_id is not None and page.offset == 0 else []
    else:
        ids = await service.patient_ids(
            uow, since=since, name_prefix=name, limit=page.count, offset=page.offset
        )
    found = await patients.list_patients(uow, patient_ids=ids)
    return await _patients(uow, sorted(found, key=lambda p: ids.index(p.id)), client)


async def _doctor(uow: UnitOfWork, resource_id: str) -> Doctor:
    try:
        return await directory.get_doctor(
            uow, doctor_id=_int_id(resource_id), include_inactive=True
        )
    except DirectoryNotFound as exc:
        raise FhirNotFound() from exc


DOCTOR_KINDS = {
    "Practitioner": fhir.practitioner_resource,
    "PractitionerRole": fhir.practitioner_role_resource,
    "Schedule": fhir.schedule_resource,
}


async def read_doctor_resource(uow: UnitOfWork, *, kind: str, resource_id: str) -> Resource:
    """Return a Practitioner, PractitionerRole or Schedule (all keyed by the doctor)."""
    return validate(DOCTOR_KINDS[kind](await _doctor(uow, resource_id)))


async def search_doctor_resources(
    uow: UnitOfWork, *, kind: str, number: str | None = None, department_id: int | None = None
) -> list[Resource]:
    """Search doctors' resources by doctor number or department (HealthcareService)."""
    doctors = await directory.list_doctors(uow, department_id=department_id, include_inactive=True)
    if number is not None:
        doctors = [d for d in doctors if d.doctor_number == number]
    return [validate(DOCTOR_KINDS[kind](d)) for d in doctors]


async def read_service(uow: UnitOfWork, *, resource_id: str) -> Resource:
    """Return a department as a HealthcareService."""
    try:
        department = await directory.get_department(uow, department_id=_int_id(resource_id))
    except DirectoryNotFound as exc:
        raise FhirNotFound() from exc
    return validate(fhir.healthcare_service_resource(department))


async def search_services(uow: UnitOfWork, *, name: str | None = None) -> list[Resource]:
    """Return departments as HealthcareServices, optionally by name prefix."""
    departments = await directory.list_departments(uow)
    if name:
        departments = [d for d in departments if d.name_zh.startswith(name)]
    return [validate(fhir.healthcare_service_resource(d)) for d in departments]


async def search_slots(
    uow: UnitOfWork, *, doctor_id: int, rules: HisBookingRules, status: str | None = None
) -> list[Resource]:
    """Return the doctor's periods in the booking window as Slots with free places."""
    sessions = await free_periods(
        uow, clock=rules.clock, channel=rules.channel, doctor_id=doctor_id, policy=rules.policy
    )
    slots = []
    for session in sessions:
        for view in session.periods:
            slot = fhir.slot_resource(
                doctor_id=doctor_id,
                day=session.day,
                period=session.period,
                index=view.period.index,
                start=view.period.starts_at,
                end=view.period.ends_at,
                capacity=view.period.capacity,
                free=view.free,
                cancelled=session.cancelled,
            )
            if status is None or slot["status"] == status:
                slots.append(validate(slot))
    return slots


async def read_appointment(uow: UnitOfWork, *, resource_id: str) -> Resource:
    """Return a booking as an Appointment."""
    try:
        booking = await scheduling.get_booking(uow, booking_id=_int_id(resource_id))
    except BookingNotFound as exc:
        raise FhirNotFound() from exc
    session = await scheduling.get_session(uow, session_id=booking.session_id)
    his_id = await service.his_id_of(uow, booking_id=booking.id)
    return validate(
        fhir.appointment_resource(
            booking, doctor_id=session.doctor_id, period=session.period, his_id=his_id
        )
    )


async def search_appointments(
    uow: UnitOfWork,
    *,
    patient_id: int | None = None,
    since: datetime | None = None,
    status: str | None = None,
    page: Page = Page(),
) -> list[Resource]:
    """Search Appointments by patient, ``_lastUpdated`` and status."""
    ids = await service.booking_ids(
        uow, patient_id=patient_id, since=since, limit=page.count, offset=page.offset
    )
    found = [await read_appointment(uow, resource_id=str(i)) for i in ids]
    return [a for a in found if status is None or a["status"] == status]


MISSING_PARTICIPANT = {
    "Patient": "The appointment needs a Patient participant.",
    "Practitioner": "The appointment needs a Practitioner participant.",
}


def _reference(resource: Resource, kind: str) -> int:
    for participant in resource.get("participant", []):
        reference = str(participant.get("actor", {}).get("reference", ""))
        if reference.startswith(f"{kind}/") and reference[len(kind) + 1 :].isdigit():
            return int(reference[len(kind) + 1 :])
    raise FhirInvalid(MISSING_PARTICIPANT[kind])


async def create_appointment(
    uow: UnitOfWork, *, resource: Resource, rules: HisBookingRules
) -> Resource:
    """Book from an Appointment (patient, practitioner, start); its identifier is the key."""
    try:
        validate(resource)
        start = datetime.fromisoformat(str(resource["start"]))
    except (KeyError, ValueError) as exc:
        raise FhirInvalid("The appointment is not valid FHIR R4 or has no start.") from exc
    his_id = next((str(i["value"]) for i in resource.get("identifier", []) if i.get("value")), "")
    if his_id:
        existing = await service.booking_by_his_id(uow, his_id=his_id)
        if existing is not None:
            return await read_appointment(uow, resource_id=str(existing))
    request = await booking_request(
        uow,
        patient_id=_reference(resource, "Patient"),
        doctor_id=_reference(resource, "Practitioner"),
        start=start,
        key=f"his:{his_id}"
        if his_id
        else f"fhir:{start.isoformat()}:{_reference(resource, 'Patient')}",
        rules=rules,
    )
    booking = await scheduling.book_appointment(
        uow, request=request, clock=rules.clock, policy=rules.policy
    )
    if his_id:
        await service.link_booking(uow, booking_id=booking.id, his_id=his_id)
    return await read_appointment(uow, resource_id=str(booking.id))


async def update_appointment(
    uow: UnitOfWork, *, resource_id: str, resource: Resource, rules: HisBookingRules
) -> Resource:
    """Apply an Appointment update; only cancelling (status "cancelled") is supported."""
    current = await read_appointment(uow, resource_id=resource_id)
    if resource.get("status") == current["status"]:
        return current
    if resource.get("status") != "cancelled":
        raise FhirInvalid("Only a change of status to cancelled is supported.")
    booking = await scheduling.get_booking(uow, booking_id=int(resource_id))
    if booking.status is BookingStatus.BOOKED:
        await scheduling.cancel_booking(
            uow, booking_id=booking.id, clock=rules.clock, policy=rules.cancel_policy
        )
    return await read_appointment(uow, resource_id=resource_id)
