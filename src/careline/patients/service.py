"""Use cases of the patients context: register, update, read, search, de-duplicate, merge."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date
from itertools import islice

import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from careline.db.uow import UnitOfWork
from careline.kit.clock import Clock
from careline.patients.duplicates import duplicate_reasons, plan_merge
from careline.patients.model import (
    CardSearchUnavailable,
    DuplicateCandidate,
    DuplicateIdNumber,
    InvalidGuardian,
    MergeRecord,
    Patient,
    PatientDetails,
    PatientMerged,
    PatientNotFound,
    PatientPage,
    PossibleDuplicate,
    StaleRecord,
    needs_guardian,
)
from careline.patients.repository import PatientRepository
from careline.patients.search import SearchKind, SearchTerms, clamp_page, classify_query
from careline.patients.validation import (
    PatientInput,
    carry_consents,
    check_guardian,
    validate_patient,
)
from careline.staff.audit import record_access

log = structlog.get_logger(__name__)

_CLOCK = Clock()

# The membership context plugs this in: a card number to the ids of its holders.
CardNumberResolver = Callable[[AsyncConnection, str], Awaitable[list[int]]]


@dataclass(frozen=True, slots=True)
class PatientRecord:
    """A patient as shown to staff, with the people linked to them."""

    patient: Patient
    guardian: Patient | None
    wards: list[Patient]
    merges: list[MergeRecord]
    needs_guardian: bool


def today_in_hospital(clock: Clock) -> date:
    """Return the date in the hospital's zone (birth dates and ages are local)."""
    return clock.today()


async def register_patient(
    uow: UnitOfWork,
    *,
    data: PatientInput,
    staff_id: int | None,
    confirmed_new: bool = False,
    context: str = "register",
    clock: Clock = _CLOCK,
) -> Patient:
    """Register a patient; refuse a known ID number and hold back likely duplicates."""
    now = clock.now()
    details = validate_patient(data, today=today_in_hospital(clock), now=now)
    repo = PatientRepository(uow.connection)
    await _ensure_id_number_free(repo, details.id_number, patient_id=None)
    await _ensure_guardian(repo, None, details, today_in_hospital(clock))
    if not confirmed_new:
        candidates = await _candidates(repo, details, exclude_id=None)
        if candidates:
            raise PossibleDuplicate([c.patient.id for c in candidates])
    try:
        patient_id = await repo.add(details, now=now)
    except IntegrityError as exc:
        # Lost a race with another registration of the same ID number.
        if details.id_number is None:
            raise
        raise DuplicateIdNumber(None) from exc
    await record_access(
        uow.connection,
        staff_id=staff_id,
        action="create",
        subject="patient",
        subject_id=patient_id,
        context=context,
    )
    await uow.commit()
    log.info("patient_registered", patient_id=patient_id, staff_id=staff_id)
    return await _require(repo, patient_id)


async def update_patient(
    uow: UnitOfWork,
    *,
    patient_id: int,
    data: PatientInput,
    staff_id: int | None,
    version: int | None = None,
    context: str = "update",
    clock: Clock = _CLOCK,
) -> Patient:
    """Replace a patient's details; ``version`` guards against overwriting someone's edit."""
    now = clock.now()
    repo = PatientRepository(uow.connection)
    current = await _require(repo, patient_id)
    if current.merged_into_id is not None:
        raise PatientMerged(current.merged_into_id)
    if version is not None and version != current.version:
        raise StaleRecord()
    details = validate_patient(data, today=today_in_hospital(clock), now=now)
    details = replace(details, consents=carry_consents(current.consents, details.consents))
    await _ensure_id_number_free(repo, details.id_number, patient_id=patient_id)
    await _ensure_guardian(repo, patient_id, details, today_in_hospital(clock))
    try:
        updated = await repo.update(patient_id, details, now=now, version=current.version)
    except IntegrityError as exc:
        if details.id_number is None:
            raise
        raise DuplicateIdNumber(None) from exc
    if not updated:
        raise StaleRecord()
    await record_access(
        uow.connection,
        staff_id=staff_id,
        action="update",
        subject="patient",
        subject_id=patient_id,
        context=context,
    )
    await uow.commit()
    log.info("patient_updated", patient_id=patient_id, staff_id=staff_id)
    return await _require(repo, patient_id)


async def get_patient(
    uow: UnitOfWork,
    *,
    patient_id: int,
    staff_id: int | None,
    context: str,
    clock: Clock = _CLOCK,
) -> PatientRecord:
    """Return a patient for a staff member and write the read to the audit log."""
    repo = PatientRepository(uow.connection)
    patient = await _require(repo, patient_id)
    guardian = await repo.get(patient.guardian_id) if patient.guardian_id else None
    record = PatientRecord(
        patient=patient,
        guardian=guardian,
        wards=await repo.wards_of(patient_id),
        merges=await repo.merges_of(patient_id),
        needs_guardian=needs_guardian(patient, today_in_hospital(clock)),
    )
    await record_access(
        uow.connection,
        staff_id=staff_id,
        action="read",
        subject="patient",
        subject_id=patient_id,
        context=context,
    )
    await uow.commit()
    return record


async def search_patients(
    uow: UnitOfWork,
    *,
    query: str,
    limit: int = 20,
    offset: int = 0,
    card_resolver: CardNumberResolver | None = None,
) -> PatientPage:
    """Find active patients by name, pinyin, phone, ID number, card or free text."""
    terms = classify_query(query)
    limit, offset = clamp_page(limit, offset)
    card_ids: list[int] = []
    if terms.kind == SearchKind.CARD:
        if card_resolver is None:
            raise CardSearchUnavailable()
        card_ids = await card_resolver(uow.connection, terms.value)
    repo = PatientRepository(uow.connection)
    items, total = await repo.search(terms, limit=limit, offset=offset, card_patient_ids=card_ids)
    if total == 0 and terms.kind == SearchKind.NAME:
        # Chinese text that starts no name may be part of an address or a note.
        terms = SearchTerms(SearchKind.TEXT, terms.value)
        items, total = await repo.search(terms, limit=limit, offset=offset)
    log.debug("patient_search", kind=terms.kind.value, total=total)
    return PatientPage(items=items, total=total, limit=limit, offset=offset)


async def list_patients(uow: UnitOfWork, *, patient_ids: list[int]) -> list[Patient]:
    """Return these patients for a list or a duplicate warning (shown masked, not audited)."""
    return await PatientRepository(uow.connection).get_many(patient_ids)


async def find_duplicates(uow: UnitOfWork, *, patient_id: int) -> list[DuplicateCandidate]:
    """Return patients who may be the same person as this one, for staff to review."""
    repo = PatientRepository(uow.connection)
    patient = await _require(repo, patient_id)
    return await _candidates(repo, patient, exclude_id=patient_id)


async def merge_patients(
    uow: UnitOfWork,
    *,
    survivor_id: int,
    duplicate_id: int,
    staff_id: int | None,
    reason: str = "",
    clock: Clock = _CLOCK,
) -> Patient:
    """Move the duplicate's phones, tags, notes and links to the survivor and retire it."""
    now = clock.now()
    repo = PatientRepository(uow.connection)
    survivor = await _require(repo, survivor_id)
    duplicate = await _require(repo, duplicate_id)
    plan = plan_merge(survivor, duplicate)
    if not await repo.mark_merged(
        duplicate_id,
        survivor_id,
        now=now,
        clear_id_number=plan.moves_id_number,
        version=duplicate.version,
    ):
        raise StaleRecord()
    if not await repo.update(survivor_id, plan.survivor, now=now, version=survivor.version):
        raise StaleRecord()
    await repo.add_merge_record(
        survivor_id=survivor_id,
        duplicate_id=duplicate_id,
        staff_id=staff_id,
        now=now,
        reason=reason[:256],
        moved=plan.moved,
    )
    for subject_id, other in ((survivor_id, duplicate_id), (duplicate_id, survivor_id)):
        await record_access(
            uow.connection,
            staff_id=staff_id,
            action="merge",
            subject="patient",
            subject_id=subject_id,
            context=f"merge {duplicate_id} into {survivor_id} ({other})",
        )
    await uow.commit()
    log.info("patients_merged", survivor_id=survivor_id, duplicate_id=duplicate_id)
    return await _require(repo, survivor_id)


async def load_patients(
    uow: UnitOfWork,
    *,
    patients: Iterable[PatientDetails],
    batch_size: int = 5000,
    progress: Callable[[int], None] | None = None,
    clock: Clock = _CLOCK,
) -> int:
    """Insert already-validated patients in batches (demo data, benchmarks); return the count."""
    repo = PatientRepository(uow.connection)
    source = iter(patients)
    loaded = 0
    while batch := list(islice(source, batch_size)):
        await repo.bulk_add(batch, now=clock.now())
        await uow.commit()
        loaded += len(batch)
        if progress is not None:
            progress(loaded)
    return loaded


async def _require(repo: PatientRepository, patient_id: int) -> Patient:
    patient = await repo.get(patient_id)
    if patient is None:
        raise PatientNotFound("There is no patient with this number.")
    return patient


async def _ensure_id_number_free(
    repo: PatientRepository, id_number: str | None, *, patient_id: int | None
) -> None:
    if id_number is None:
        return
    holder = await repo.get_by_id_number(id_number)
    if holder is not None and holder.id != patient_id:
        raise DuplicateIdNumber(holder.id)


async def _ensure_guardian(
    repo: PatientRepository, patient_id: int | None, details: PatientDetails, today: date
) -> None:
    if details.guardian_id is None:
        return
    guardian = await repo.get(details.guardian_id)
    if guardian is not None and guardian.is_merged:
        guardian = None
    problem = check_guardian(patient_id, guardian, details.guardian_id, today)
    if problem:
        raise InvalidGuardian(problem)


async def _candidates(
    repo: PatientRepository, details: PatientDetails, *, exclude_id: int | None
) -> list[DuplicateCandidate]:
    found = await repo.find_same_name(
        details.name, birth_date=details.birth_date, phones=[p.number for p in details.phones]
    )
    candidates = []
    for other in found:
        reasons = duplicate_reasons(details, other)
        if other.id != exclude_id and reasons:
            candidates.append(DuplicateCandidate(other, reasons))
    return candidates
