"""Turn weekly clinic templates into the concrete sessions of real days (pure).

Rules, in order, for each day of the range and each template row of that weekday:

1. A make-up working day (调休上班) runs the template of the weekday whose day off it
   pays for (e.g. Saturday 2026-02-14 repays Friday 2026-02-20, so it runs Friday's
   clinics), plus the day's own rows for periods that weekday does not use.
2. A public holiday cancels the session unless the row is marked to run on holidays.
3. A schedule exception (leave, 停诊, hospital holiday) covering the day and period
   cancels it, whatever the holiday flag says.

Cancelled sessions are kept, marked with why, so a portal can say "停诊" rather than
silently showing nothing. Times are wall-clock times in the hospital's zone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from careline.directory.model import (
    ClinicType,
    ExceptionKind,
    ScheduleException,
    SessionPeriod,
    WeeklySession,
    localized,
)

MAX_DAYS = 62
_SUBSTITUTED = re.compile(r"substituted from (\d{2})/(\d{2})/(\d{4})")


class CancelReason(StrEnum):
    HOLIDAY = "holiday"
    LEAVE = "leave"
    STOPPED = "stopped"
    HOSPITAL_HOLIDAY = "hospital_holiday"

    def label(self, language: str) -> str:
        zh, en = _CANCEL_LABELS[self]
        return zh if language == "zh-CN" else en


_CANCEL_LABELS = {
    CancelReason.HOLIDAY: ("节假日停诊", "Public holiday"),
    CancelReason.LEAVE: ("医生休假", "Doctor on leave"),
    CancelReason.STOPPED: ("停诊", "Clinic stopped"),
    CancelReason.HOSPITAL_HOLIDAY: ("医院休息", "Hospital closed"),
}
_EXCEPTION_REASON = {
    ExceptionKind.LEAVE: CancelReason.LEAVE,
    ExceptionKind.STOPPED: CancelReason.STOPPED,
    ExceptionKind.HOLIDAY: CancelReason.HOSPITAL_HOLIDAY,
}


@dataclass(frozen=True, slots=True)
class HolidayCalendar:
    """Public holidays (date -> (zh, en) name) and make-up working days (date -> weekday)."""

    holidays: Mapping[date, tuple[str, str]] = field(default_factory=dict)
    makeup_workdays: Mapping[date, int] = field(default_factory=dict)

    def holiday(self, day: date) -> tuple[str, str] | None:
        return self.holidays.get(day)


@lru_cache(maxsize=16)
def china_calendar(years: tuple[int, ...]) -> HolidayCalendar:
    """Return China's holidays and make-up working days for ``years`` (holidays package)."""
    china = holidays.country_holidays("CN", years=years, language="en_US")
    chinese = holidays.country_holidays("CN", years=years, language="zh_CN")
    days_off = {day: (str(chinese.get(day, name)), str(name)) for day, name in china.items()}
    makeup: dict[date, int] = {}
    for day_off, (_, name) in days_off.items():
        match = _SUBSTITUTED.search(name)
        if match:
            month, dom, year = (int(part) for part in match.groups())
            makeup[date(year, month, dom)] = day_off.weekday()
    # A make-up day whose pairing could not be read still works; it runs Monday's clinics.
    for workday in china.weekend_workdays:
        if min(years) <= workday.year <= max(years):
            makeup.setdefault(workday, 0)
    return HolidayCalendar(holidays=days_off, makeup_workdays=makeup)


def calendar_for(first_day: date, days: int) -> HolidayCalendar:
    """Return the China calendar covering ``days`` days from ``first_day``."""
    last_day = first_day + timedelta(days=max(days, 1) - 1)
    return china_calendar(tuple(range(first_day.year, last_day.year + 1)))


@dataclass(frozen=True, slots=True)
class ClinicSession:
    """One concrete clinic session of a doctor on a day."""

    doctor_id: int
    department_id: int
    day: date
    period: SessionPeriod
    starts_at: datetime
    ends_at: datetime
    capacity: int
    registration_fee: int
    clinic_type: ClinicType
    template_id: int
    cancelled: bool = False
    cancel_reason: CancelReason | None = None
    cancel_note: str = ""
    cancel_note_en: str = ""

    def note(self, language: str) -> str:
        """Return the holiday name or exception reason in ``language`` when known."""
        return localized(self.cancel_note, self.cancel_note_en, language)


@dataclass(frozen=True, slots=True)
class DoctorWeek:
    """What the session computation needs of one doctor."""

    doctor_id: int
    department_id: int
    template: Sequence[WeeklySession]


def local_today(now: datetime, zone: ZoneInfo) -> date:
    """Return today's date in the hospital's zone for an aware ``now``."""
    return now.astimezone(zone).date()


def compute_sessions(
    doctors: Iterable[DoctorWeek],
    exceptions: Sequence[ScheduleException],
    calendar: HolidayCalendar,
    *,
    first_day: date,
    days: int,
    zone: ZoneInfo,
) -> list[ClinicSession]:
    """Return every session of ``doctors`` from ``first_day`` for ``days`` days, in order."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be 1..{MAX_DAYS}")
    result: list[ClinicSession] = []
    for doctor in doctors:
        mine = [e for e in exceptions if _applies_to(e, doctor)]
        for offset in range(days):
            day = first_day + timedelta(days=offset)
            for row in _rows_for_day(doctor.template, day, calendar):
                result.append(_session(doctor, row, day, mine, calendar, zone))
    result.sort(key=lambda s: (s.starts_at, s.doctor_id))
    return result


def _applies_to(exception: ScheduleException, doctor: DoctorWeek) -> bool:
    if exception.doctor_id is not None:
        return exception.doctor_id == doctor.doctor_id
    if exception.department_id is not None:
        return exception.department_id == doctor.department_id
    return True


def _rows_for_day(
    template: Sequence[WeeklySession], day: date, calendar: HolidayCalendar
) -> list[WeeklySession]:
    own = [row for row in template if row.weekday == day.weekday()]
    substitute = calendar.makeup_workdays.get(day)
    if substitute is None or substitute == day.weekday():
        return own
    borrowed = [row for row in template if row.weekday == substitute]
    used = {row.period for row in borrowed}
    return borrowed + [row for row in own if row.period not in used]


def _session(
    doctor: DoctorWeek,
    row: WeeklySession,
    day: date,
    exceptions: Sequence[ScheduleException],
    calendar: HolidayCalendar,
    zone: ZoneInfo,
) -> ClinicSession:
    start, end = row.times
    reason: CancelReason | None = None
    note = note_en = ""
    holiday = calendar.holiday(day)
    if holiday is not None and not row.runs_on_holidays:
        reason, (note, note_en) = CancelReason.HOLIDAY, holiday
    for exception in exceptions:
        if exception.covers(day, row.period):
            reason, note, note_en = _EXCEPTION_REASON[exception.kind], exception.reason, ""
            break
    return ClinicSession(
        doctor_id=doctor.doctor_id,
        department_id=doctor.department_id,
        day=day,
        period=row.period,
        starts_at=datetime.combine(day, start, tzinfo=zone),
        ends_at=datetime.combine(day, end, tzinfo=zone),
        capacity=row.capacity,
        registration_fee=row.registration_fee,
        clinic_type=row.clinic_type,
        template_id=row.id,
        cancelled=reason is not None,
        cancel_reason=reason,
        cancel_note=note,
        cancel_note_en=note_en,
    )
