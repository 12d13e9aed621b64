"""Turn HTML form fields into directory entities, collecting errors per field.

Forms show money in yuan (``50`` or ``50.00``); entities hold fen. A schedule row is
``sessions-N-<field>``; a row whose weekday is left empty is dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, time
from enum import StrEnum
from typing import TypeVar

from careline.directory.model import (
    ClinicType,
    Doctor,
    DoctorTitle,
    ExceptionKind,
    InvalidDirectoryInput,
    ScheduleException,
    SessionPeriod,
    WeeklySession,
)
from careline.directory.validation import validate_doctor, validate_weekly_sessions
from careline.kit.money import format_yuan, parse_yuan

MAX_ROWS = 21
NOT_A_NUMBER = "Enter a whole number."
NOT_AN_AMOUNT = "Enter an amount in yuan, such as 50 or 12.50."
NOT_A_TIME = "Enter a time such as 08:30."
NOT_A_DATE = "Enter a date such as 2026-12-01."
NOT_A_CHOICE = "Choose one of the options."

E = TypeVar("E", bound=StrEnum)
Form = Mapping[str, str]


class FormErrors(Exception):
    """Fields that could not even be read; ``errors`` maps field names to messages."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(next(iter(errors.values())))
        self.errors = errors


@dataclass
class Reader:
    """Read typed values from a form, remembering which fields were wrong."""

    form: Form
    errors: dict[str, str]

    def text(self, name: str) -> str:
        return self.form.get(name, "")

    def integer(self, name: str, default: int = 0) -> int:
        raw = self.text(name).strip()
        if not raw:
            return default
        try:
            return int(raw)
        except ValueError:
            self.errors.setdefault(name, NOT_A_NUMBER)
            return default

    def optional_id(self, name: str) -> int | None:
        raw = self.text(name).strip()
        return self.integer(name) if raw else None

    def yuan(self, name: str) -> int:
        raw = self.text(name).strip()
        if not raw:
            return 0
        try:
            return parse_yuan(raw)
        except ValueError:
            self.errors.setdefault(name, NOT_AN_AMOUNT)
            return 0

    def clock_time(self, name: str) -> time | None:
        raw = self.text(name).strip()
        if not raw:
            return None
        try:
            return time.fromisoformat(raw)
        except ValueError:
            self.errors.setdefault(name, NOT_A_TIME)
            return None

    def day(self, name: str) -> date:
        try:
            return date.fromisoformat(self.text(name).strip())
        except ValueError:
            self.errors.setdefault(name, NOT_A_DATE)
            return date.min

    def choice(self, name: str, kind: type[E], default: E | None = None) -> E:
        if default is not None and not self.text(name).strip():
            return default
        try:
            return kind(self.text(name).strip())
        except ValueError:
            self.errors.setdefault(name, NOT_A_CHOICE)
            return next(iter(kind))

    def flag(self, name: str) -> bool:
        return self.text(name) in ("on", "true", "1", "yes")

    def raise_if_any(self) -> None:
        if self.errors:
            raise FormErrors(self.errors)


def row_indexes(form: Form) -> list[int]:
    """Return the schedule row numbers present in the form, in order."""
    found = set()
    for key in form:
        parts = key.split("-")
        if len(parts) == 3 and parts[0] == "sessions" and parts[1].isdigit():
            found.add(int(parts[1]))
    return sorted(index for index in found if index < MAX_ROWS * 2)


def read_sessions(form: Form, reader: Reader) -> list[WeeklySession]:
    """Read the filled schedule rows; errors keep the row number the form showed."""
    sessions: list[WeeklySession] = []
    for index in row_indexes(form):
        prefix = f"sessions-{index}-"
        if not reader.text(prefix + "weekday").strip():
            continue
        weekday = reader.integer(prefix + "weekday", default=-1)
        sessions.append(
            WeeklySession(
                weekday=weekday,
                period=reader.choice(prefix + "period", SessionPeriod),
                capacity=reader.integer(prefix + "capacity"),
                registration_fee=reader.yuan(prefix + "registration_fee"),
                clinic_type=reader.choice(prefix + "clinic_type", ClinicType, ClinicType.GENERAL),
                start_time=reader.clock_time(prefix + "start_time"),
                end_time=reader.clock_time(prefix + "end_time"),
                runs_on_holidays=reader.flag(prefix + "runs_on_holidays"),
                id=index,  # remembered so validation errors point at the row shown
            )
        )
    return sessions


def renumber_errors(errors: Mapping[str, str], sessions: list[WeeklySession]) -> dict[str, str]:
    """Map sessions-K-field (K = position in the list) back to the row the form showed."""
    result: dict[str, str] = {}
    for key, message in errors.items():
        parts = key.split("-", 2)
        if len(parts) == 3 and parts[0] == "sessions" and parts[1].isdigit():
            position = int(parts[1])
            if position < len(sessions):
                key = f"sessions-{sessions[position].id}-{parts[2]}"
        result[key] = message
    return result


def read_doctor(form: Form, doctor_id: int = 0) -> tuple[Doctor, list[WeeklySession]]:
    """Read the doctor form and its schedule rows, or raise FormErrors with every problem.

    Fields that cannot be read do not hide the rule checks of the others: the errors of
    both kinds are reported together.
    """
    reader = Reader(form, {})
    doctor = Doctor(
        department_id=reader.integer("department_id"),
        name=reader.text("name"),
        name_en=reader.text("name_en"),
        title=reader.choice("title", DoctorTitle),
        doctor_number=reader.text("doctor_number"),
        specialty_zh=reader.text("specialty_zh"),
        specialty_en=reader.text("specialty_en"),
        introduction_zh=reader.text("introduction_zh"),
        introduction_en=reader.text("introduction_en"),
        photo=reader.text("photo"),
        active=reader.flag("active"),
        id=doctor_id,
    )
    sessions = read_sessions(form, reader)
    if reader.errors:
        _add_rule_errors(reader, doctor, sessions)
    reader.raise_if_any()
    return doctor, sessions


def _add_rule_errors(reader: Reader, doctor: Doctor, sessions: list[WeeklySession]) -> None:
    for found in (_rule_errors(validate_doctor, doctor), _rule_errors_rows(sessions)):
        for field, message in found.items():
            reader.errors.setdefault(field, message)


def _rule_errors(check: Callable[[Doctor], Doctor], doctor: Doctor) -> dict[str, str]:
    try:
        check(doctor)
    except InvalidDirectoryInput as exc:
        return exc.errors
    return {}


def _rule_errors_rows(sessions: list[WeeklySession]) -> dict[str, str]:
    try:
        validate_weekly_sessions(sessions)
    except InvalidDirectoryInput as exc:
        return renumber_errors(exc.errors, sessions)
    return {}


def read_exception(form: Form, doctor_id: int | None) -> ScheduleException:
    """Read the leave / stopped-clinic form (one day when no last day), or raise FormErrors."""
    reader = Reader(form, {})
    first_day = reader.day("first_day")
    has_last_day = bool(reader.text("last_day").strip())
    has_period = bool(reader.text("period").strip())
    exception = ScheduleException(
        kind=reader.choice("kind", ExceptionKind),
        first_day=first_day,
        last_day=reader.day("last_day") if has_last_day else first_day,
        reason=reader.text("reason"),
        period=reader.choice("period", SessionPeriod) if has_period else None,
        doctor_id=doctor_id,
        department_id=None if doctor_id else reader.optional_id("department_id"),
    )
    reader.raise_if_any()
    return exception


def session_form_rows(sessions: list[WeeklySession], blank: int = 4) -> list[dict[str, str]]:
    """Return the schedule rows as form values, with ``blank`` empty rows to fill."""
    rows = [
        {
            "weekday": str(s.weekday),
            "period": s.period.value,
            "capacity": str(s.capacity),
            "registration_fee": format_yuan(s.registration_fee),
            "clinic_type": s.clinic_type.value,
            "start_time": s.start_time.strftime("%H:%M") if s.start_time else "",
            "end_time": s.end_time.strftime("%H:%M") if s.end_time else "",
            "runs_on_holidays": "on" if s.runs_on_holidays else "",
        }
        for s in sessions
    ]
    empty = {"weekday": "", "period": "morning", "capacity": "", "registration_fee": ""}
    rows.extend(dict(empty, clinic_type="general") for _ in range(blank))
    return rows[: MAX_ROWS + blank]


def submitted_rows(form: Form, blank: int = 2) -> list[dict[str, str]]:
    """Return the rows exactly as typed, at their positions, so a refused form shows them."""
    fields = ("weekday", "period", "capacity", "registration_fee", "clinic_type")
    indexes = row_indexes(form)
    count = indexes[-1] + 1 if indexes else 0
    rows = [
        {f: form.get(f"sessions-{i}-{f}", "") for f in (*fields, "start_time", "end_time")}
        | {"runs_on_holidays": form.get(f"sessions-{i}-runs_on_holidays", "")}
        for i in range(count)
    ]
    rows.extend(
        {"weekday": "", "period": "morning", "clinic_type": "general"} for _ in range(blank)
    )
    return rows
