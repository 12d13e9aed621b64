"""Careline's records as FHIR R4 resources (plain JSON dicts), and back.

Every produced resource is checked against the ``fhir.resources`` R4B models (R4B shares
R4's JSON for these resources) by ``validate``; a resource that fails is a bug, not input.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from fhir.resources.R4B import get_fhir_model_class

from careline.directory.model import Department, Doctor
from careline.integrations.model import HisIdentifier, IdentifierSystem
from careline.patients.model import Patient
from careline.scheduling.model import Booking, BookingStatus

Resource = dict[str, Any]

CARELINE_PATIENT = "urn:careline:patient"
CARELINE_BOOKING = "urn:careline:booking"
DOCTOR_NUMBER = "urn:careline:doctor-number"
HIS_APPOINTMENT = "urn:careline:his-appointment"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
CANCEL_REASONS = "http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason"
SLOT_CAPACITY = "urn:careline:fhir:slot-capacity"
SLOT_FREE = "urn:careline:fhir:slot-free"
SYSTEMS = {
    IdentifierSystem.MRN: ("urn:careline:his:mrn", "MR"),
    IdentifierSystem.ID_CARD: ("urn:careline:cn-resident-id", "NNCHN"),
    IdentifierSystem.INSURANCE: ("urn:careline:his:insurance", "SN"),
}
TYPE_CODES = {
    "MR": IdentifierSystem.MRN,
    "NNCHN": IdentifierSystem.ID_CARD,
    "NI": IdentifierSystem.ID_CARD,
    "SN": IdentifierSystem.INSURANCE,
    "MC": IdentifierSystem.INSURANCE,
    "HC": IdentifierSystem.INSURANCE,
    "JHN": IdentifierSystem.INSURANCE,
}
APPOINTMENT_STATUS = {
    BookingStatus.BOOKED: "booked",
    BookingStatus.CANCELLED: "cancelled",
    BookingStatus.STOPPED: "cancelled",
    BookingStatus.NO_SHOW: "noshow",
    BookingStatus.ATTENDED: "fulfilled",
}


class InvalidResource(ValueError):
    """A resource does not match its FHIR R4 structure."""


def validate(resource: Resource) -> Resource:
    """Check a resource against its R4B model and return it unchanged."""
    try:
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    except (KeyError, ValueError) as exc:
        raise InvalidResource(str(exc)[:300]) from exc
    return resource


def instant(moment: datetime) -> str:
    """Return a FHIR instant (with offset)."""
    return moment.isoformat(timespec="seconds")


def _identifier(identifier: HisIdentifier) -> Resource:
    system, code = SYSTEMS[identifier.system]
    return {
        "type": {"coding": [{"system": V2_0203, "code": code}]},
        "system": system,
        "value": identifier.value,
    }


def patient_resource(patient: Patient, identifiers: Sequence[HisIdentifier]) -> Resource:
    """Return a Careline patient as a FHIR Patient."""
    ids = list(identifiers)
    if patient.id_number and not any(i.system is IdentifierSystem.ID_CARD for i in ids):
        ids.append(HisIdentifier(IdentifierSystem.ID_CARD, patient.id_number))
    telecom: list[Resource] = [
        {"system": "phone", "value": p.number, "use": p.label.value} for p in patient.phones
    ]
    if patient.email:
        telecom.append({"system": "email", "value": patient.email})
    resource: Resource = {
        "resourceType": "Patient",
        "id": str(patient.id),
        "identifier": [{"system": CARELINE_PATIENT, "value": str(patient.id)}]
        + [_identifier(i) for i in ids if i.system in SYSTEMS],
        "active": not patient.is_merged,
        "name": [{"text": patient.name}],
        "gender": patient.gender.value,
    }
    if patient.updated_at:
        resource["meta"] = {"lastUpdated": instant(patient.updated_at)}
    if telecom:
        resource["telecom"] = telecom
    if patient.birth_date:
        resource["birthDate"] = patient.birth_date.isoformat()
    if patient.address:
        resource["address"] = [{"text": patient.address}]
    if patient.merged_into_id is not None:
        resource["link"] = [
            {"other": {"reference": f"Patient/{patient.merged_into_id}"}, "type": "replaced-by"}
        ]
    return resource


def practitioner_resource(doctor: Doctor) -> Resource:
    """Return a doctor as a FHIR Practitioner."""
    name: Resource = {"text": doctor.name}
    resource: Resource = {
        "resourceType": "Practitioner",
        "id": str(doctor.id),
        "identifier": [{"system": DOCTOR_NUMBER, "value": doctor.doctor_number}],
        "active": doctor.active,
        "name": [name],
        "qualification": [{"code": {"text": doctor.title.value}}],
    }
    return resource


def practitioner_role_resource(doctor: Doctor) -> Resource:
    """Return a doctor's place in a department as a FHIR PractitionerRole."""
    role: Resource = {
        "resourceType": "PractitionerRole",
        "id": str(doctor.id),
        "active": doctor.active,
        "practitioner": {"reference": f"Practitioner/{doctor.id}"},
        "healthcareService": [{"reference": f"HealthcareService/{doctor.department_id}"}],
        "code": [{"text": doctor.title.value}],
    }
    if doctor.specialty_zh:
        role["specialty"] = [{"text": doctor.specialty_zh}]
    return role


def healthcare_service_resource(department: Department) -> Resource:
    """Return a department as a FHIR HealthcareService."""
    resource: Resource = {
        "resourceType": "HealthcareService",
        "id": str(department.id),
        "active": True,
        "name": department.name_zh,
    }
    if department.name_en:
        resource["comment"] = department.name_en
    if department.phone:
        resource["telecom"] = [{"system": "phone", "value": department.phone}]
    if department.location:
        resource["extraDetails"] = department.location
    return resource


def schedule_resource(doctor: Doctor) -> Resource:
    """Return a doctor's clinic schedule as a FHIR Schedule."""
    return {
        "resourceType": "Schedule",
        "id": str(doctor.id),
        "active": doctor.active,
        "serviceType": [{"text": "clinic"}],
        "actor": [
            {"reference": f"Practitioner/{doctor.id}"},
            {"reference": f"HealthcareService/{doctor.department_id}"},
        ],
    }


def slot_id(doctor_id: int, day: date, period: str, index: int) -> str:
    """Return a Slot's id: doctor, day, session period and period index."""
    return f"{doctor_id}-{day:%Y%m%d}-{period}-{index}"


def parse_slot_id(text: str) -> tuple[int, date, str, int]:
    """Read a Slot id back; ValueError when it is not one of Careline's."""
    doctor, day, period, index = text.split("-")
    return int(doctor), datetime.strptime(day, "%Y%m%d").date(), period, int(index)


def slot_resource(
    *,
    doctor_id: int,
    day: date,
    period: str,
    index: int,
    start: datetime,
    end: datetime,
    capacity: int,
    free: int,
    cancelled: bool,
) -> Resource:
    """Return one booking period as a FHIR Slot (free while places remain)."""
    status = "busy-unavailable" if cancelled else ("free" if free > 0 else "busy")
    return {
        "resourceType": "Slot",
        "id": slot_id(doctor_id, day, period, index),
        "schedule": {"reference": f"Schedule/{doctor_id}"},
        "status": status,
        "start": instant(start),
        "end": instant(end),
        "extension": [
            {"url": SLOT_CAPACITY, "valueInteger": capacity},
            {"url": SLOT_FREE, "valueInteger": free},
        ],
    }


def appointment_resource(
    booking: Booking, *, doctor_id: int, period: str, his_id: str | None
) -> Resource:
    """Return a booking as a FHIR Appointment."""
    identifiers = [{"system": CARELINE_BOOKING, "value": str(booking.id)}]
    if his_id:
        identifiers.append({"system": HIS_APPOINTMENT, "value": his_id})
    resource: Resource = {
        "resourceType": "Appointment",
        "id": str(booking.id),
        "identifier": identifiers,
        "status": APPOINTMENT_STATUS[booking.status],
        "start": instant(booking.period_starts_at),
        "end": instant(booking.period_ends_at),
        "created": booking.created_at.isoformat(timespec="seconds"),
        "slot": [
            {"reference": f"Slot/{slot_id(doctor_id, booking.day, period, booking.period_index)}"}
        ],
        "comment": f"Queue number {booking.queue_number}",
        "participant": [
            {"actor": {"reference": f"Patient/{booking.patient_id}"}, "status": "accepted"},
            {"actor": {"reference": f"Practitioner/{doctor_id}"}, "status": "accepted"},
        ],
    }
    if booking.status in (BookingStatus.CANCELLED, BookingStatus.STOPPED):
        code = "prov" if booking.status is BookingStatus.STOPPED else "pat"
        resource["cancelationReason"] = {"coding": [{"system": CANCEL_REASONS, "code": code}]}
    return resource


def bundle(
    resources: Sequence[Resource], *, base: str, self_url: str, next_url: str | None
) -> Resource:
    """Return a searchset Bundle."""
    links = [{"relation": "self", "url": self_url}]
    if next_url:
        links.append({"relation": "next", "url": next_url})
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(resources),
        "link": links,
        "entry": [
            {
                "fullUrl": f"{base}/{r['resourceType']}/{r['id']}",
                "resource": r,
                "search": {"mode": "match"},
            }
            for r in resources
        ],
    }


def operation_outcome(code: str, message: str) -> Resource:
    """Return an OperationOutcome with one error issue."""
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": message}],
    }
