"""Check directory entities before they are stored; every problem is reported at once."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from careline.directory.model import (
    ARTICLE,
    DOCTOR_NUMBER,
    DOCUMENT_CODE,
    DRUG_CODE,
    LONG,
    MAX_CAPACITY,
    MAX_FEE,
    MEDIUM,
    REQUIRED,
    SHORT,
    TOO_LONG,
    Article,
    Department,
    Doctor,
    Drug,
    FaxDocument,
    Hospital,
    InvalidDirectoryInput,
    ScheduleException,
    SessionPeriod,
    VisitInstruction,
    WeeklySession,
)
from careline.kit.text import clean

T = TypeVar("T")
LANGUAGE_CODES = ("zh-CN", "en")
MAX_TAGS = 10
MAX_SESSIONS = 21
MAX_EXCEPTION_DAYS = 366
_PERIOD_ORDER = {period: index for index, period in enumerate(SessionPeriod)}


class Checker:
    """Collect field errors; ``text`` trims and checks a value."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix
        self.errors: dict[str, str] = {}

    def fail(self, field: str, message: str) -> None:
        self.errors.setdefault(self.prefix + field, message)

    def text(self, field: str, value: str, limit: int, *, required: bool = False) -> str:
        # Long texts keep their line breaks; single-line fields are collapsed.
        value = value.strip() if limit > MEDIUM else clean(value)
        if required and not value:
            self.fail(field, REQUIRED)
        elif len(value) > limit:
            self.fail(field, TOO_LONG)
        return value

    def raise_if_any(self) -> None:
        if self.errors:
            raise InvalidDirectoryInput(self.errors)


def _cleaned(entity: T, checker: Checker, limits: dict[str, int], required: Iterable[str]) -> T:
    needed = set(required)
    changes: dict[str, Any] = {}
    for name, limit in limits.items():
        value = getattr(entity, name)
        changes[name] = checker.text(name, value, limit, required=name in needed)
    return dataclasses.replace(entity, **changes)  # type: ignore[type-var]


def validate_hospital(hospital: Hospital) -> Hospital:
    """Return the hospital profile trimmed, or raise InvalidDirectoryInput."""
    checker = Checker()
    limits = dict.fromkeys(("name_zh", "name_en", "address_zh", "address_en"), MEDIUM)
    limits.update(main_phone=SHORT, website=MEDIUM, introduction_zh=LONG, introduction_en=LONG)
    result = _cleaned(hospital, checker, limits, ["name_zh"])
    checker.raise_if_any()
    return result


def validate_department(department: Department) -> Department:
    """Return the department trimmed, or raise InvalidDirectoryInput."""
    checker = Checker()
    limits = {"name_zh": SHORT, "name_en": SHORT, "description_zh": LONG, "description_en": LONG}
    limits.update(location=MEDIUM, phone=SHORT, opening_hours=MEDIUM)
    result = _cleaned(department, checker, limits, ["name_zh"])
    if department.id and department.parent_id == department.id:
        checker.fail("parent_id", "A department cannot be its own parent.")
    checker.raise_if_any()
    return result


def validate_doctor(doctor: Doctor) -> Doctor:
    """Return the doctor trimmed, or raise InvalidDirectoryInput."""
    checker = Checker()
    limits = {"name": SHORT, "name_en": SHORT, "specialty_zh": MEDIUM, "specialty_en": MEDIUM}
    limits.update(introduction_zh=LONG, introduction_en=LONG, photo=MEDIUM, doctor_number=SHORT)
    result = _cleaned(doctor, checker, limits, ["name", "doctor_number"])
    if result.doctor_number and not DOCTOR_NUMBER.match(result.doctor_number):
        checker.fail("doctor_number", "A doctor number is 1 to 8 digits.")
    if result.photo and not result.photo.startswith(("/", "http://", "https://")):
        checker.fail("photo", "A photo is a path starting with / or an http(s) address.")
    checker.raise_if_any()
    return result


def check_weekly_session(session: WeeklySession, checker: Checker) -> None:
    """Add the problems of one template row to ``checker``."""
    if not 0 <= session.weekday <= 6:
        checker.fail("weekday", "Choose a weekday.")
    if not 0 <= session.capacity <= MAX_CAPACITY:
        checker.fail("capacity", "Capacity must be between 0 and 1000.")
    if session.registration_fee < 0:
        checker.fail("registration_fee", "The fee cannot be negative.")
    elif session.registration_fee > MAX_FEE:
        checker.fail("registration_fee", "The fee is too high.")
    start, end = session.times
    if start >= end:
        checker.fail("end_time", "The session must end after it starts.")


def validate_weekly_sessions(sessions: Sequence[WeeklySession]) -> list[WeeklySession]:
    """Check a doctor's whole weekly template; rows are reported as sessions-N-field."""
    errors: dict[str, str] = {}
    if len(sessions) > MAX_SESSIONS:
        errors["sessions"] = "A week has at most 21 sessions."
    seen: set[tuple[int, str]] = set()
    for index, session in enumerate(sessions):
        checker = Checker(prefix=f"sessions-{index}-")
        check_weekly_session(session, checker)
        key = (session.weekday, session.period.value)
        if key in seen:
            checker.fail("period", "This weekday and session appear twice.")
        seen.add(key)
        for field, message in checker.errors.items():
            errors.setdefault(field, message)
    if errors:
        raise InvalidDirectoryInput(errors)
    return sorted(sessions, key=lambda s: (s.weekday, _PERIOD_ORDER[s.period]))


def validate_exception(exception: ScheduleException) -> ScheduleException:
    """Return the exception trimmed, or raise InvalidDirectoryInput."""
    checker = Checker()
    result = _cleaned(exception, checker, {"reason": MEDIUM}, [])
    if exception.last_day < exception.first_day:
        checker.fail("last_day", "The last day cannot be before the first day.")
    elif (exception.last_day - exception.first_day).days >= MAX_EXCEPTION_DAYS:
        checker.fail("last_day", "An exception may last at most one year.")
    checker.raise_if_any()
    return result


def validate_drug(drug: Drug) -> Drug:
    """Return the drug trimmed, or raise InvalidDirectoryInput."""
    checker = Checker()
    limits = {"code": 32, "name_zh": MEDIUM, "name_en": MEDIUM, "specification": MEDIUM, "unit": 16}
    limits.update(usage_notes=LONG, category=SHORT)
    result = _cleaned(drug, checker, limits, ["code", "name_zh", "specification", "unit"])
    if result.code and not DRUG_CODE.match(result.code):
        checker.fail("code", "A drug code is 1 to 32 letters, digits, dots, dashes or underscores.")
    if drug.price < 0:
        checker.fail("price", "The price cannot be negative.")
    elif drug.price > MAX_FEE * 100:
        checker.fail("price", "The price is too high.")
    checker.raise_if_any()
    return result


def validate_article(article: Article) -> Article:
    """Return the article trimmed, or raise InvalidDirectoryInput."""
    checker = Checker()
    result = _cleaned(article, checker, {"title": MEDIUM, "body": ARTICLE}, ["title", "body"])
    if article.language not in LANGUAGE_CODES:
        checker.fail("language", "Choose Chinese or English.")
    tags = tuple(dict.fromkeys(clean(tag) for tag in article.tags if clean(tag)))
    if len(tags) > MAX_TAGS or any(len(tag) > 32 for tag in tags):
        checker.fail("tags", "Use at most 10 tags of up to 32 characters.")
    checker.raise_if_any()
    return dataclasses.replace(result, tags=tags)


def validate_instruction(instruction: VisitInstruction) -> VisitInstruction:
    """Return the visit instruction trimmed, or raise InvalidDirectoryInput."""
    checker = Checker()
    result = _cleaned(instruction, checker, {"title": MEDIUM, "body": LONG}, ["title", "body"])
    if instruction.language not in LANGUAGE_CODES:
        checker.fail("language", "Choose Chinese or English.")
    checker.raise_if_any()
    return result


def validate_document(document: FaxDocument) -> FaxDocument:
    """Return the fax document trimmed, or raise InvalidDirectoryInput."""
    checker = Checker()
    limits = {"code": SHORT, "title": MEDIUM, "body": ARTICLE, "file_path": MEDIUM}
    result = _cleaned(document, checker, limits, ["code", "title"])
    if result.code and not DOCUMENT_CODE.match(result.code):
        checker.fail("code", "A document code is 1 to 8 digits.")
    if not result.body and not result.file_path:
        checker.fail("body", "Give the text or a file path.")
    checker.raise_if_any()
    return result
