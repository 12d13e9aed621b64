"""Patients as the HIS sends them (HL7 PID, FHIR Patient): find, register or update.

A patient is found by the HIS identifiers already linked to it. An unknown patient is
registered; when Careline already has someone with the same resident ID number, that
record is the same person (the number is unique by law) and the identifiers are linked
to it. Anything less certain (same name and birth date or phone) is not merged: it is
recorded as a conflict for staff and refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from careline.db.uow import UnitOfWork
from careline.integrations import service
from careline.integrations.model import HisIdentifier, IdentifierConflictError, IdentifierSystem
from careline.kit.clock import Clock
from careline.patients import service as patients
from careline.patients.model import DuplicateIdNumber, Patient, PossibleDuplicate
from careline.patients.validation import PatientInput


@dataclass(frozen=True, slots=True, kw_only=True)
class PatientFields:
    """Demographics from the HIS; None means "not sent, keep what Careline has"."""

    name: str | None = None
    gender: str | None = None
    birth_date: date | None = None
    phones: Sequence[tuple[str, str]] | None = None
    email: str | None = None
    address: str | None = None


def patient_input(
    fields: PatientFields, identifiers: Sequence[HisIdentifier], old: Patient | None
) -> PatientInput:
    """Return the input for the patients service, keeping Careline-only fields of ``old``."""
    id_card = next((i.value for i in identifiers if i.system is IdentifierSystem.ID_CARD), None)
    keep_phones = [(p.number, p.label.value) for p in old.phones] if old else []
    return PatientInput(
        name=fields.name if fields.name is not None else (old.name if old else ""),
        gender=fields.gender or (old.gender.value if old else ""),
        birth_date=fields.birth_date or (old.birth_date if old else None),
        lunar_birthday=old.lunar_birthday if old else False,
        id_number=id_card or ((old.id_number or "") if old else ""),
        phones=list(fields.phones) if fields.phones is not None else keep_phones,
        email=fields.email if fields.email is not None else ((old.email or "") if old else ""),
        address=fields.address if fields.address is not None else (old.address if old else ""),
        guardian_id=old.guardian_id if old else None,
        language=old.language.value if old else "zh-CN",
        preferred_channel=_channel(old, fields),
        consents={c.topic.value: c.granted for c in old.consents} if old else {},
        consent_source="import",
        notes=old.notes if old else "",
        tags=old.tags if old else (),
    )


def _channel(old: Patient | None, fields: PatientFields) -> str:
    # A channel that the new contact details can no longer reach falls back to voice.
    if old is None:
        return "voice"
    if old.preferred_channel.value == "email" and fields.email == "":
        return "voice"
    if old.preferred_channel.value == "sms" and fields.phones is not None:
        return "voice"
    return old.preferred_channel.value


async def upsert_patient(
    uow: UnitOfWork,
    *,
    fields: PatientFields,
    identifiers: Sequence[HisIdentifier],
    source: str,
    clock: Clock,
) -> int:
    """Register or update the patient the HIS identifiers name; return the patient's id."""
    patient_id = await service.find_patient(uow, identifiers=identifiers)
    if patient_id is None:
        data = patient_input(fields, identifiers, None)
        try:
            created = await patients.register_patient(
                uow, data=data, staff_id=None, context=source, clock=clock
            )
        except DuplicateIdNumber as same_person:
            if same_person.existing_id is None:
                raise
            patient_id = same_person.existing_id
        except PossibleDuplicate as maybe:
            if await _different_people(uow, data.id_number, maybe.candidate_ids):
                created = await patients.register_patient(
                    uow, data=data, staff_id=None, confirmed_new=True, context=source, clock=clock
                )
                return await _link(uow, created.id, identifiers, source, clock)
            for identifier in identifiers:
                await service.report_conflict(
                    uow,
                    identifier=identifier,
                    held_by=maybe.candidate_ids[0],
                    claimed_for=None,
                    source=source,
                    clock=clock,
                )
            raise
        else:
            patient_id = created.id
            return await _link(uow, patient_id, identifiers, source, clock)
    old = await _current(uow, patient_id)
    await patients.update_patient(
        uow,
        patient_id=old.id,
        data=patient_input(fields, identifiers, old),
        staff_id=None,
        context=source,
        clock=clock,
    )
    return await _link(uow, old.id, identifiers, source, clock)


async def _different_people(uow: UnitOfWork, id_number: str, candidate_ids: list[int]) -> bool:
    # Same name and birth date, but each has a different resident ID number: two people.
    if not id_number:
        return False
    candidates = await patients.list_patients(uow, patient_ids=candidate_ids)
    return all(c.id_number and c.id_number != id_number for c in candidates)


async def _current(uow: UnitOfWork, patient_id: int) -> Patient:
    # Identifiers of a merged record were moved to the survivor; follow it if one was not.
    found = await patients.list_patients(uow, patient_ids=[patient_id])
    patient = found[0]
    if patient.merged_into_id is not None:
        found = await patients.list_patients(uow, patient_ids=[patient.merged_into_id])
        patient = found[0]
    return patient


async def _link(
    uow: UnitOfWork,
    patient_id: int,
    identifiers: Sequence[HisIdentifier],
    source: str,
    clock: Clock,
) -> int:
    clashes = await service.link_identifiers(
        uow, patient_id=patient_id, identifiers=identifiers, source=source, clock=clock
    )
    if clashes:
        raise IdentifierConflictError()
    return patient_id
