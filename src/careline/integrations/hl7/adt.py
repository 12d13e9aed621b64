"""ADT messages: A04/A28 register, A08/A31 update, A40 merge.

All four register-or-update events are applied the same way (an update for a patient
Careline does not know yet registers them): the HIS is the master of demographics.
"""

from __future__ import annotations

from careline.db.uow import UnitOfWork
from careline.integrations import service
from careline.integrations.hl7.messages import (
    REQUIRED_FIELD_MISSING,
    UNKNOWN_KEY,
    Hl7Message,
    app_error,
    parse_date,
    rejected,
)
from careline.integrations.model import HisIdentifier, IdentifierSystem
from careline.integrations.patient_sync import PatientFields, upsert_patient
from careline.kit.clock import Clock
from careline.patients import service as patients

# HL7 table 0203 identifier types mapped to Careline's identifier systems.
ID_TYPES = {
    "MR": IdentifierSystem.MRN,
    "PI": IdentifierSystem.MRN,
    "NNCHN": IdentifierSystem.ID_CARD,
    "NI": IdentifierSystem.ID_CARD,
    "SN": IdentifierSystem.INSURANCE,
    "MC": IdentifierSystem.INSURANCE,
    "HC": IdentifierSystem.INSURANCE,
    "JHN": IdentifierSystem.INSURANCE,
}
SEXES = {"M": "male", "F": "female", "O": "unknown", "U": "unknown", "A": "unknown", "N": "unknown"}
DELETE = '""'


def identifiers(msg: Hl7Message, segment: str, field: int) -> list[HisIdentifier]:
    """Read a CX list (PID-3, MRG-1): id ^^^ authority ^ type code."""
    found = []
    for rep in range(1, msg.repetitions(segment, field) + 1):
        value = msg.value(segment, field, rep=rep, comp=1)
        system = ID_TYPES.get(msg.value(segment, field, rep=rep, comp=5).upper())
        if value and system is not None:
            found.append(HisIdentifier(system, value))
    return found


def _name(msg: Hl7Message) -> str | None:
    family, given = msg.value("PID", 5, comp=1), msg.value("PID", 5, comp=2)
    if not family and not given:
        return None
    if any("\u4e00" <= ch <= "\u9fff" for ch in family + given):
        return family + given  # Chinese names are written family name first, no space
    return f"{given} {family}".strip()


def _phone(msg: Hl7Message, field: int, rep: int) -> str:
    # XTN-12 is the unformatted number; older senders put it in XTN-1.
    return msg.value("PID", field, rep=rep, comp=12) or msg.value("PID", field, rep=rep, comp=1)


def _contacts(msg: Hl7Message) -> tuple[list[tuple[str, str]] | None, str | None]:
    phones: list[tuple[str, str]] = []
    email: str | None = None
    for field, label in ((13, "home"), (14, "work")):
        for rep in range(1, msg.repetitions("PID", field) + 1):
            if msg.value("PID", field, rep=rep, comp=2) == "NET":
                email = msg.value("PID", field, rep=rep, comp=4)
                continue
            number = _phone(msg, field, rep)
            use = msg.value("PID", field, rep=rep, comp=3)
            if number and number != DELETE:
                phones.append((number, "mobile" if use == "CP" else label))
    # Numbers sent replace Careline's list; a message with no number keeps it.
    return (phones or None), email


def patient_fields(msg: Hl7Message) -> PatientFields:
    """Read PID-5 name, -7 birth date, -8 sex, -11 address, -13/-14 phones and email."""
    phones, email = _contacts(msg)
    address_parts = [msg.value("PID", 11, comp=c) for c in (4, 3, 2, 1)]
    address = "".join(p for p in address_parts if p) if any(address_parts) else None
    sex = msg.value("PID", 8)
    return PatientFields(
        name=_name(msg),
        gender=SEXES.get(sex.upper()) if sex else None,
        birth_date=parse_date(msg.value("PID", 7)),
        phones=phones,
        email=email,
        address=address,
    )


async def register_or_update(uow: UnitOfWork, msg: Hl7Message, clock: Clock) -> None:
    """Apply A04, A08, A28 or A31."""
    ids = identifiers(msg, "PID", 3)
    if not ids:
        raise rejected(REQUIRED_FIELD_MISSING, "PID-3 has no identifier Careline can use.")
    await upsert_patient(
        uow,
        fields=patient_fields(msg),
        identifiers=ids,
        source=f"hl7 {msg.header.kind} {msg.header.control_id}",
        clock=clock,
    )


async def merge(uow: UnitOfWork, msg: Hl7Message, clock: Clock) -> None:
    """Apply A40: the MRG-1 patient is merged into the PID-3 patient."""
    survivor_ids, retired_ids = identifiers(msg, "PID", 3), identifiers(msg, "MRG", 1)
    if not survivor_ids or not retired_ids:
        raise rejected(REQUIRED_FIELD_MISSING, "A40 needs identifiers in PID-3 and MRG-1.")
    survivor = await service.find_patient(uow, identifiers=survivor_ids)
    retired = await service.find_patient(uow, identifiers=retired_ids)
    if survivor is None or retired is None:
        raise app_error(UNKNOWN_KEY, "A patient named in the merge is not known to Careline.")
    if survivor == retired:
        return
    source = f"hl7 A40 {msg.header.control_id}"
    await patients.merge_patients(
        uow, survivor_id=survivor, duplicate_id=retired, staff_id=None, reason=source, clock=clock
    )
    await service.move_identifiers(uow, from_id=retired, to_id=survivor, source=source, clock=clock)
