"""HTTP face of the patients context: the staff REST API (pages live in ``pages.py``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from careline.patients import service
from careline.patients.model import (
    DuplicateIdNumber,
    InvalidPatient,
    PatientError,
    PatientMerged,
    PossibleDuplicate,
)
from careline.patients.pages import EDITORS, MERGERS, READERS, card_resolver
from careline.patients.pages import pages as pages
from careline.patients.schemas import (
    DuplicateRead,
    MergeRequest,
    PatientCreate,
    PatientPageRead,
    PatientRead,
    PatientRecordRead,
    PatientUpdate,
    duplicate_read,
    page_read,
    patient_read,
    record_read,
)
from careline.staff.model import StaffMember
from careline.web.deps import AppClock, Lang, Uow, require_staff
from careline.web.i18n import gettext

api = APIRouter(prefix="/api/v1/patients", tags=["patients"])
Reader = Annotated[StaffMember, Depends(require_staff(*READERS))]
Editor = Annotated[StaffMember, Depends(require_staff(*EDITORS))]
Merger = Annotated[StaffMember, Depends(require_staff(*MERGERS))]
REFUSALS: dict[int | str, dict[str, object]] = {
    404: {"description": "No such patient (error_id patient_not_found)."},
    409: {
        "description": "duplicate_id_number (with existing_id), possible_duplicate (with"
        " candidate_ids), stale_patient_record, patient_merged or merge_refused."
    },
    422: {"description": "invalid_patient, with errors: [{field, message}] for every field."},
}


def refusal(exc: PatientError, lang: str) -> JSONResponse:
    """Render a refused change as JSON, with per-field errors and the records involved."""
    body: dict[str, object] = {
        "error_id": exc.error_id,
        "message": gettext(lang, exc.message),
        "field": exc.field,
    }
    if isinstance(exc, InvalidPatient):
        body["errors"] = [
            {"field": name, "message": gettext(lang, message)}
            for name, message in exc.errors.items()
        ]
    elif isinstance(exc, PossibleDuplicate):
        body["candidate_ids"] = exc.candidate_ids
    elif isinstance(exc, DuplicateIdNumber):
        body["existing_id"] = exc.existing_id
    elif isinstance(exc, PatientMerged):
        body["merged_into_id"] = exc.merged_into_id
    return JSONResponse(body, status_code=exc.status_code)


@api.get("", response_model=PatientPageRead)
async def search_patients(
    request: Request,
    uow: Uow,
    _staff: Reader,
    q: Annotated[str, Query(max_length=64, description="Name, pinyin, phone, ID or text")] = "",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> PatientPageRead:
    """Search active patients; phones and ID numbers come back masked."""
    page = await service.search_patients(
        uow, query=q, limit=limit, offset=offset, card_resolver=card_resolver(request)
    )
    return page_read(page)


@api.post("", response_model=PatientRead, status_code=201, responses=REFUSALS)
async def create_patient(
    body: PatientCreate, uow: Uow, staff: Editor, clock: AppClock, lang: Lang
) -> PatientRead | JSONResponse:
    """Register a patient (409 with candidate ids when likely duplicates exist)."""
    try:
        patient = await service.register_patient(
            uow,
            data=body.to_input(),
            staff_id=staff.id,
            confirmed_new=body.confirmed_new,
            context="POST /api/v1/patients",
            clock=clock,
        )
    except PatientError as exc:
        return refusal(exc, lang)
    return patient_read(patient)


@api.get("/{patient_id}", response_model=PatientRecordRead)
async def read_patient(
    patient_id: int, uow: Uow, staff: Reader, clock: AppClock
) -> PatientRecordRead:
    """Return the full record; the read is written to the audit log."""
    record = await service.get_patient(
        uow,
        patient_id=patient_id,
        staff_id=staff.id,
        context=f"GET /api/v1/patients/{patient_id}",
        clock=clock,
    )
    return record_read(record)


@api.put("/{patient_id}", response_model=PatientRead, responses=REFUSALS)
async def update_patient(
    patient_id: int, body: PatientUpdate, uow: Uow, staff: Editor, clock: AppClock, lang: Lang
) -> PatientRead | JSONResponse:
    """Replace a patient's details; send the ``version`` you read to avoid lost edits."""
    try:
        patient = await service.update_patient(
            uow,
            patient_id=patient_id,
            data=body.to_input(),
            staff_id=staff.id,
            version=body.version,
            context=f"PUT /api/v1/patients/{patient_id}",
            clock=clock,
        )
    except PatientError as exc:
        return refusal(exc, lang)
    return patient_read(patient)


@api.get("/{patient_id}/duplicates", response_model=list[DuplicateRead])
async def patient_duplicates(patient_id: int, uow: Uow, _staff: Reader) -> list[DuplicateRead]:
    """List patients who may be the same person, with the reasons."""
    return [duplicate_read(c) for c in await service.find_duplicates(uow, patient_id=patient_id)]


@api.post("/{patient_id}/merge", response_model=PatientRead, responses=REFUSALS)
async def merge_patient(
    patient_id: int, body: MergeRequest, uow: Uow, staff: Merger, clock: AppClock, lang: Lang
) -> PatientRead | JSONResponse:
    """Merge ``duplicate_id`` into this patient (supervisors)."""
    try:
        survivor = await service.merge_patients(
            uow,
            survivor_id=patient_id,
            duplicate_id=body.duplicate_id,
            staff_id=staff.id,
            reason=body.reason,
            clock=clock,
        )
    except PatientError as exc:
        return refusal(exc, lang)
    return patient_read(survivor)
