"""The directory's entities and their validation rules (pure).

An entity whose ``id`` is 0 has not been stored yet. Validation collects every problem
at once so a form can show each next to its field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time
from enum import StrEnum

from careline.kit.errors import CarelineError

SHORT = 64
MEDIUM = 200
LONG = 4000
ARTICLE = 50_000
MAX_CAPACITY = 1000
MAX_FEE = 10_000_00
DOCTOR_NUMBER = re.compile(r"^[0-9]{1,8}$")
DOCUMENT_CODE = re.compile(r"^[0-9]{1,8}$")
DRUG_CODE = re.compile(r"^[A-Za-z0-9._-]{1,32}$")

REQUIRED = "This field is required."
TOO_LONG = "This text is too long."


class DirectoryError(CarelineError):
    error_id = "directory_error"


class DirectoryNotFound(DirectoryError):
    status_code = 404
    error_id = "directory_not_found"


class InvalidDirectoryInput(DirectoryError):
    """One or more fields are wrong; ``errors`` maps each field to its message."""

    status_code = 422
    error_id = "invalid_directory_input"

    def __init__(self, errors: dict[str, str]) -> None:
        field, message = next(iter(errors.items()))
        super().__init__(message, field=field)
        self.errors = dict(errors)


class DoctorTitle(StrEnum):
    CHIEF = "chief_physician"
    ASSOCIATE_CHIEF = "associate_chief_physician"
    ATTENDING = "attending_physician"
    RESIDENT = "resident_physician"

    def label(self, language: str) -> str:
        return _TITLE_LABELS[self][0 if language == "zh-CN" else 1]


_TITLE_LABELS = {
    DoctorTitle.CHIEF: ("主任医师", "Chief Physician"),
    DoctorTitle.ASSOCIATE_CHIEF: ("副主任医师", "Associate Chief Physician"),
    DoctorTitle.ATTENDING: ("主治医师", "Attending Physician"),
    DoctorTitle.RESIDENT: ("住院医师", "Resident Physician"),
}


class SessionPeriod(StrEnum):
    MORNING = "morning"
    AFTERNOON = "afternoon"
    EVENING = "evening"

    @property
    def default_times(self) -> tuple[time, time]:
        return _PERIOD_TIMES[self]

    def label(self, language: str) -> str:
        return _PERIOD_LABELS[self][0 if language == "zh-CN" else 1]


_PERIOD_TIMES = {
    SessionPeriod.MORNING: (time(8, 0), time(12, 0)),
    SessionPeriod.AFTERNOON: (time(13, 30), time(17, 30)),
    SessionPeriod.EVENING: (time(18, 0), time(21, 0)),
}
_PERIOD_LABELS = {
    SessionPeriod.MORNING: ("上午", "Morning"),
    SessionPeriod.AFTERNOON: ("下午", "Afternoon"),
    SessionPeriod.EVENING: ("晚上", "Evening"),
}


class ClinicType(StrEnum):
    GENERAL = "general"
    EXPERT = "expert"

    def label(self, language: str) -> str:
        zh, en = (
            ("专家门诊", "Expert clinic")
            if self is ClinicType.EXPERT
            else ("普通门诊", "General clinic")
        )
        return zh if language == "zh-CN" else en


class ExceptionKind(StrEnum):
    LEAVE = "leave"
    STOPPED = "stopped"
    HOLIDAY = "holiday"

    def label(self, language: str) -> str:
        zh, en = _EXCEPTION_LABELS[self]
        return zh if language == "zh-CN" else en


_EXCEPTION_LABELS = {
    ExceptionKind.LEAVE: ("休假", "On leave"),
    ExceptionKind.STOPPED: ("停诊", "Clinic stopped"),
    ExceptionKind.HOLIDAY: ("节假日", "Holiday"),
}

WEEKDAY_LABELS = (
    ("周一", "Mon"),
    ("周二", "Tue"),
    ("周三", "Wed"),
    ("周四", "Thu"),
    ("周五", "Fri"),
    ("周六", "Sat"),
    ("周日", "Sun"),
)


def weekday_label(weekday: int, language: str) -> str:
    """Return 周一.. or Mon.. for 0..6."""
    return WEEKDAY_LABELS[weekday][0 if language == "zh-CN" else 1]


def localized(zh: str, en: str, language: str) -> str:
    """Pick the text for ``language``, falling back to the other one when empty."""
    if language == "zh-CN":
        return zh or en
    return en or zh


@dataclass(frozen=True, slots=True)
class Hospital:
    name_zh: str
    name_en: str = ""
    address_zh: str = ""
    address_en: str = ""
    main_phone: str = ""
    website: str = ""
    introduction_zh: str = ""
    introduction_en: str = ""

    def name(self, language: str) -> str:
        return localized(self.name_zh, self.name_en, language)

    def address(self, language: str) -> str:
        return localized(self.address_zh, self.address_en, language)

    def introduction(self, language: str) -> str:
        return localized(self.introduction_zh, self.introduction_en, language)


@dataclass(frozen=True, slots=True)
class Department:
    name_zh: str
    name_en: str = ""
    description_zh: str = ""
    description_en: str = ""
    location: str = ""
    phone: str = ""
    opening_hours: str = ""
    parent_id: int | None = None
    sort_order: int = 0
    id: int = 0

    def name(self, language: str) -> str:
        return localized(self.name_zh, self.name_en, language)

    def description(self, language: str) -> str:
        return localized(self.description_zh, self.description_en, language)


@dataclass(frozen=True, slots=True)
class Doctor:
    department_id: int
    name: str
    title: DoctorTitle
    doctor_number: str
    name_en: str = ""
    specialty_zh: str = ""
    specialty_en: str = ""
    introduction_zh: str = ""
    introduction_en: str = ""
    photo: str = ""
    active: bool = True
    id: int = 0

    def display_name(self, language: str) -> str:
        return localized(self.name, self.name_en, language)

    def specialty(self, language: str) -> str:
        return localized(self.specialty_zh, self.specialty_en, language)

    def introduction(self, language: str) -> str:
        return localized(self.introduction_zh, self.introduction_en, language)


@dataclass(frozen=True, slots=True)
class WeeklySession:
    """One recurring clinic session of a doctor's weekly template."""

    weekday: int
    period: SessionPeriod
    capacity: int
    registration_fee: int
    clinic_type: ClinicType = ClinicType.GENERAL
    start_time: time | None = None
    end_time: time | None = None
    runs_on_holidays: bool = False
    doctor_id: int = 0
    id: int = 0

    @property
    def times(self) -> tuple[time, time]:
        default_start, default_end = self.period.default_times
        return self.start_time or default_start, self.end_time or default_end


@dataclass(frozen=True, slots=True)
class ScheduleException:
    """Clinics that do not run: a doctor's, a department's, or (neither set) everyone's."""

    kind: ExceptionKind
    first_day: date
    last_day: date
    reason: str = ""
    period: SessionPeriod | None = None
    doctor_id: int | None = None
    department_id: int | None = None
    id: int = 0

    def covers(self, day: date, period: SessionPeriod) -> bool:
        in_range = self.first_day <= day <= self.last_day
        return in_range and (self.period is None or self.period == period)


@dataclass(frozen=True, slots=True)
class Drug:
    code: str
    name_zh: str
    specification: str
    unit: str
    price: int
    name_en: str = ""
    usage_notes: str = ""
    category: str = ""
    id: int = 0

    def name(self, language: str) -> str:
        return localized(self.name_zh, self.name_en, language)


@dataclass(frozen=True, slots=True)
class Article:
    title: str
    body: str
    language: str
    published_on: date
    tags: tuple[str, ...] = ()
    id: int = 0


@dataclass(frozen=True, slots=True)
class VisitInstruction:
    title: str
    body: str
    language: str = "zh-CN"
    sort_order: int = 0
    id: int = 0


@dataclass(frozen=True, slots=True)
class FaxDocument:
    code: str
    title: str
    body: str = ""
    file_path: str = ""
    id: int = 0
