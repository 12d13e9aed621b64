"""FHIR R4 resources from a HIS read into Careline's terms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from careline.integrations.fhir.resources import (
    DOCTOR_NUMBER,
    SLOT_CAPACITY,
    SYSTEMS,
    TYPE_CODES,
    InvalidResource,
    Resource,
    validate,
)
from careline.integrations.model import HisIdentifier, IdentifierSystem
from careline.integrations.patient_sync import PatientFields
from careline.kit.phones import InvalidPhoneNumber, normalize_phone

_BY_SYSTEM = {system: kind for kind, (system, _code) in SYSTEMS.items()}
_PHONE_USES = {"mobile": "mobile", "home": "home", "work": "work"}


def identifiers_of(resource: Resource) -> list[HisIdentifier]:
    """Return the identifiers Careline keeps, known by type code (v2-0203) or system."""
    found = []
    for identifier in resource.get("identifier", []):
        value = str(identifier.get("value", "")).strip()
        codes = [c.get("code", "") for c in identifier.get("type", {}).get("coding", [])]
        kind = next((TYPE_CODES[c] for c in codes if c in TYPE_CODES), None)
        kind = kind or _BY_SYSTEM.get(identifier.get("system", ""))
        if value and kind is not None:
            found.append(HisIdentifier(kind, value))
    return found


def _name(resource: Resource) -> str | None:
    names: list[dict[str, Any]] = resource.get("name", [])
    chosen = next((n for n in names if n.get("use") == "official"), names[0] if names else None)
    if chosen is None:
        return None
    if chosen.get("text"):
        return str(chosen["text"]).strip()
    family, given = chosen.get("family", ""), " ".join(chosen.get("given", []))
    if any("\u4e00" <= ch <= "\u9fff" for ch in family + given):
        return str(family) + given.replace(" ", "")
    return f"{given} {family}".strip() or None


def _birth_date(resource: Resource) -> date | None:
    text = resource.get("birthDate")
    if not text or len(text) < 10:
        return None  # a year or year-month alone is not a birth date Careline can keep
    return datetime.strptime(text[:10], "%Y-%m-%d").date()


def _address(resource: Resource) -> str | None:
    addresses: list[dict[str, Any]] = resource.get("address", [])
    if not addresses:
        return None
    first = addresses[0]
    if first.get("text"):
        return str(first["text"])
    parts = [first.get("state"), first.get("city"), first.get("district"), *first.get("line", [])]
    return "".join(p for p in parts if p) or None


def patient_from_fhir(resource: Resource) -> tuple[PatientFields, list[HisIdentifier]]:
    """Return the demographics and identifiers of a FHIR Patient."""
    validate(resource)
    phones: list[tuple[str, str]] = []
    email = None
    for contact in resource.get("telecom", []):
        if contact.get("use") == "old" or contact.get("period", {}).get("end"):
            continue  # a number no longer in use
        if contact.get("system") == "phone" and contact.get("value"):
            try:
                number = normalize_phone(str(contact["value"]))
            except InvalidPhoneNumber:
                continue  # not dialable from the hospital: Careline cannot use it
            phones.append((number, _PHONE_USES.get(contact.get("use", ""), "home")))
        elif contact.get("system") == "email" and contact.get("value"):
            email = contact["value"]
    gender = resource.get("gender")
    return (
        PatientFields(
            name=_name(resource),
            gender=gender if gender in ("male", "female") else ("unknown" if gender else None),
            birth_date=_birth_date(resource),
            phones=phones,
            email=email or "",
            address=_address(resource) or "",
        ),
        identifiers_of(resource),
    )


def doctor_number_of(resource: Resource) -> str | None:
    """Return a Practitioner's doctor number (Careline's system, else the first identifier)."""
    identifiers: list[dict[str, Any]] = resource.get("identifier", [])
    chosen = next((i for i in identifiers if i.get("system") == DOCTOR_NUMBER), None)
    chosen = chosen or (identifiers[0] if identifiers else None)
    return str(chosen["value"]) if chosen and chosen.get("value") else None


def id_card_of(identifiers: list[HisIdentifier]) -> str | None:
    """Return the resident ID number among identifiers."""
    return next((i.value for i in identifiers if i.system is IdentifierSystem.ID_CARD), None)


@dataclass(frozen=True, slots=True)
class SlotFields:
    schedule_id: str
    status: str
    start: datetime
    end: datetime
    capacity: int | None = None  # the SLOT_CAPACITY extension, when given


@dataclass(frozen=True, slots=True)
class AppointmentFields:
    status: str
    start: datetime | None
    end: datetime | None
    patient_id: str | None
    practitioner_id: str | None


def _instant(text: Any) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(str(text).replace("Z", "+00:00"))


def _actor(resource: Resource, kind: str) -> str | None:
    for participant in resource.get("participant", []):
        reference = str(participant.get("actor", {}).get("reference", ""))
        if reference.startswith(f"{kind}/"):
            return reference[len(kind) + 1 :]
    return None


def slot_from_fhir(resource: Resource) -> SlotFields:
    """Return a FHIR Slot's schedule, status and times."""
    validate(resource)
    start, end = _instant(resource.get("start")), _instant(resource.get("end"))
    if start is None or end is None:
        raise InvalidResource("A Slot needs a start and an end.")
    schedule = str(resource.get("schedule", {}).get("reference", "")).rpartition("/")[2]
    return SlotFields(schedule, str(resource.get("status", "")), start, end, _capacity(resource))


def _capacity(resource: Resource) -> int | None:
    found = next((e for e in resource.get("extension", []) if e.get("url") == SLOT_CAPACITY), None)
    if found is None:
        return None
    value = found.get("valueInteger")
    if type(value) is not int:
        raise InvalidResource("The Slot's capacity extension needs a valueInteger.")
    return value


def appointment_from_fhir(resource: Resource) -> AppointmentFields:
    """Return a FHIR Appointment's status, times, patient and practitioner ids."""
    validate(resource)
    return AppointmentFields(
        status=str(resource.get("status", "")),
        start=_instant(resource.get("start")),
        end=_instant(resource.get("end")),
        patient_id=_actor(resource, "Patient"),
        practitioner_id=_actor(resource, "Practitioner"),
    )
