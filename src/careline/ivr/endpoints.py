"""HTTP face of the IVR: call records for supervisors (pages live in ``pages.py``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from careline.ivr import service
from careline.ivr.model import CallRecord, Outcome
from careline.ivr.pages import pages
from careline.staff.model import Role, StaffMember
from careline.web.deps import Uow, require_staff

api = APIRouter(prefix="/api/v1/ivr", tags=["ivr"])
Supervisor = Annotated[StaffMember, Depends(require_staff(Role.SUPERVISOR))]


class CallRecordRead(BaseModel):
    call_id: str
    started_at: datetime
    ended_at: datetime
    language: str
    outcome: Outcome
    path: list[str]
    keys: str
    prompts: list[str]
    patient_id: int | None
    member_card: str | None


def _read(record: CallRecord) -> CallRecordRead:
    # The caller's number stays out of the API: supervisors judge menus, not callers.
    return CallRecordRead(
        call_id=record.call_id,
        started_at=record.started_at,
        ended_at=record.ended_at,
        language=record.language,
        outcome=record.outcome,
        path=list(record.path),
        keys=record.keys,
        prompts=list(record.prompts),
        patient_id=record.patient_id,
        member_card=record.member_card,
    )


@api.get("/calls", response_model=list[CallRecordRead])
async def list_calls(
    uow: Uow, _staff: Supervisor, outcome: Outcome | None = None, limit: int = 50, offset: int = 0
) -> list[CallRecordRead]:
    """The newest call records, optionally of one outcome."""
    records = await service.list_call_records(uow, outcome=outcome, limit=limit, offset=offset)
    return [_read(record) for record in records]


__all__ = ["api", "pages"]
