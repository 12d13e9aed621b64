"""Duplicate rules and merge planning (pure).

Same resident ID number is a hard conflict: registration is refused. Same name with the same
birth date, or the same name with a shared phone, makes a *candidate*: staff decide. Nothing is
ever merged without a staff member asking for it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from careline.kit.text import clean
from careline.patients.model import (
    MAX_NOTES,
    DuplicateReason,
    MergeRefused,
    Patient,
    PatientDetails,
)


def same_name(first: str, second: str) -> bool:
    """Compare names ignoring case, width and spacing."""
    return clean(first).casefold() == clean(second).casefold()


def duplicate_reasons(details: PatientDetails, other: PatientDetails) -> frozenset[DuplicateReason]:
    """Return why ``other`` may be the same person as ``details`` (empty: not a candidate)."""
    reasons: set[DuplicateReason] = set()
    if details.id_number and details.id_number == other.id_number:
        reasons.add(DuplicateReason.SAME_ID_NUMBER)
    if same_name(details.name, other.name):
        if details.birth_date is not None and details.birth_date == other.birth_date:
            reasons.add(DuplicateReason.SAME_NAME_AND_BIRTH_DATE)
        if {p.number for p in details.phones} & {p.number for p in other.phones}:
            reasons.add(DuplicateReason.SAME_NAME_AND_PHONE)
    return frozenset(reasons)


@dataclass(frozen=True, slots=True)
class MergePlan:
    """The survivor's details after the merge and a summary of what moved, for the audit."""

    survivor: PatientDetails
    moves_id_number: bool
    moved: dict[str, object]


def plan_merge(survivor: Patient, duplicate: Patient) -> MergePlan:
    """Decide what the survivor gains from the duplicate, or raise MergeRefused."""
    _check_mergeable(survivor, duplicate)
    phones = survivor.phones + tuple(
        p for p in duplicate.phones if p.number not in {s.number for s in survivor.phones}
    )
    tags = survivor.tags + tuple(t for t in duplicate.tags if t not in survivor.tags)
    notes = _merged_notes(survivor.notes, duplicate)
    consents = survivor.consents + tuple(
        c for c in duplicate.consents if survivor.consent(c.topic) is None
    )
    guardian_id = survivor.guardian_id
    if guardian_id == duplicate.id:
        guardian_id = None
    if guardian_id is None and duplicate.guardian_id not in (None, survivor.id):
        guardian_id = duplicate.guardian_id
    filled = {
        name: getattr(duplicate, name)
        for name in ("id_number", "birth_date", "email", "address")
        if not getattr(survivor, name) and getattr(duplicate, name)
    }
    base = PatientDetails(**{f.name: getattr(survivor, f.name) for f in _DETAIL_FIELDS})
    details = dataclasses.replace(
        base,
        phones=phones,
        tags=tags,
        notes=notes,
        consents=tuple(sorted(consents, key=lambda c: c.topic)),
        guardian_id=guardian_id,
        **filled,
    )
    moved: dict[str, object] = {
        "phones": len(phones) - len(survivor.phones),
        "tags": len(tags) - len(survivor.tags),
        "notes": bool(duplicate.notes),
        "filled": sorted(filled),
    }
    return MergePlan(details, "id_number" in filled, moved)


_DETAIL_FIELDS = dataclasses.fields(PatientDetails)


def _check_mergeable(survivor: Patient, duplicate: Patient) -> None:
    if survivor.id == duplicate.id:
        raise MergeRefused("A patient cannot be merged into itself.")
    if survivor.is_merged or duplicate.is_merged:
        raise MergeRefused("One of these patients was already merged into another record.")
    if survivor.id_number and duplicate.id_number and survivor.id_number != duplicate.id_number:
        raise MergeRefused(
            "These patients have different resident ID numbers, so they are different people."
        )
    if survivor.guardian_id == duplicate.id and duplicate.guardian_id == survivor.id:
        raise MergeRefused("Two patients who are each other's guardian cannot be merged.")


def _merged_notes(notes: str, duplicate: Patient) -> str:
    if not duplicate.notes or duplicate.notes in notes:
        return notes
    combined = f"{notes}\n\n[#{duplicate.id}] {duplicate.notes}" if notes else duplicate.notes
    if len(combined) > MAX_NOTES:
        raise MergeRefused(
            "The combined notes would be too long; shorten the notes of one patient first."
        )
    return combined
