"""Use cases of the IVR: who is calling, their language, and the record of each call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import structlog

from careline.db.uow import UnitOfWork
from careline.ivr.model import LANGUAGES, CallRecord, IvrError, Outcome
from careline.ivr.repository import IvrRepository
from careline.kit.clock import Clock
from careline.kit.phones import InvalidPhoneNumber, normalize_phone
from careline.patients.search import SearchKind, classify_query
from careline.patients.service import search_patients

log = structlog.get_logger(__name__)
MAX_RECORDS_PAGE = 200


class CallRecordNotFound(IvrError):
    status_code = 404
    error_id = "ivr_call_record_not_found"


@dataclass(frozen=True, slots=True)
class CallerProfile:
    """What Careline knows about a caller number at the start of a call."""

    language: str | None = None
    patient_id: int | None = None
    name: str = ""
    gender: str = "unknown"


def caller_key(caller: str) -> str | None:
    """Return the caller's number as E.164, or None when withheld or not a phone number."""
    if not caller or not any(ch.isdigit() for ch in caller):
        return None
    try:
        return normalize_phone(caller)
    except InvalidPhoneNumber:
        return None


async def caller_profile(uow: UnitOfWork, *, caller: str) -> CallerProfile:
    """Look the caller up: remembered language and the one patient with this phone."""
    key = caller_key(caller)
    if key is None:
        return CallerProfile()
    language = await IvrRepository(uow.connection).language_of(key)
    if classify_query(key).kind is not SearchKind.PHONE:
        return CallerProfile(language=language)
    page = await search_patients(uow, query=key, limit=2)
    # A phone shared by a family greets nobody by name: we cannot know who is calling.
    if page.total != 1:
        return CallerProfile(language=language)
    patient = page.items[0]
    return CallerProfile(language, patient.id, patient.name, patient.gender.value)


async def remember_language(uow: UnitOfWork, *, caller: str, language: str, clock: Clock) -> None:
    """Keep the language a caller chose for their next call."""
    key = caller_key(caller)
    if key is None or language not in LANGUAGES:
        return
    await IvrRepository(uow.connection).set_language(key, language, clock.now())
    await uow.commit()


async def save_call_record(uow: UnitOfWork, *, record: CallRecord) -> None:
    """Store the record of a finished call."""
    await IvrRepository(uow.connection).add_record(record)
    await uow.commit()
    log.info("ivr_call_recorded", outcome=record.outcome.value, steps=len(record.path))


async def list_call_records(
    uow: UnitOfWork, *, outcome: Outcome | None = None, limit: int = 50, offset: int = 0
) -> list[CallRecord]:
    """The newest call records, optionally only one outcome."""
    limit = max(1, min(limit, MAX_RECORDS_PAGE))
    return await IvrRepository(uow.connection).list_records(
        outcome=outcome, limit=limit, offset=max(0, offset)
    )


async def get_call_record(uow: UnitOfWork, *, call_id: str) -> CallRecord:
    """The record of one call by its SIP Call-ID."""
    found = await IvrRepository(uow.connection).by_call_id(call_id)
    if found is None:
        raise CallRecordNotFound("No call record has this call ID.")
    return found


async def outcome_counts(uow: UnitOfWork, *, since: datetime) -> dict[str, int]:
    """How many calls ended each way since a moment (for the supervisors' page)."""
    return await IvrRepository(uow.connection).outcome_counts(since)
