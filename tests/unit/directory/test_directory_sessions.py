"""Concrete clinic sessions from weekly templates, exceptions, holidays and time zones."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from careline.directory.model import (
    ClinicType,
    ExceptionKind,
    ScheduleException,
    SessionPeriod,
    WeeklySession,
)
from careline.directory.sessions import (
    CancelReason,
    DoctorWeek,
    HolidayCalendar,
    china_calendar,
    compute_sessions,
    local_today,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NO_HOLIDAYS = HolidayCalendar()
MONDAY = date(2026, 11, 23)


def row(
    weekday: int, period: SessionPeriod = SessionPeriod.MORNING, **extra: object
) -> WeeklySession:
    values: dict[str, object] = {"capacity": 20, "registration_fee": 1000, "id": weekday * 10 + 1}
    values.update(extra)
    return WeeklySession(weekday=weekday, period=period, **values)  # type: ignore[arg-type]


def week(*rows: WeeklySession, doctor_id: int = 1, department_id: int = 5) -> DoctorWeek:
    return DoctorWeek(doctor_id=doctor_id, department_id=department_id, template=list(rows))


def sessions_of(
    doctors: list[DoctorWeek],
    *,
    first_day: date = MONDAY,
    days: int = 7,
    exceptions: tuple[ScheduleException, ...] = (),
    calendar: HolidayCalendar = NO_HOLIDAYS,
    zone: ZoneInfo = SHANGHAI,
) -> list:  # type: ignore[type-arg]
    return compute_sessions(
        doctors, list(exceptions), calendar, first_day=first_day, days=days, zone=zone
    )


def test_weekly_template_repeats_across_weeks() -> None:
    doctor = week(row(0), row(3, SessionPeriod.AFTERNOON))
    found = sessions_of([doctor], days=14)
    assert [(s.day, s.period) for s in found] == [
        (date(2026, 11, 23), SessionPeriod.MORNING),
        (date(2026, 11, 26), SessionPeriod.AFTERNOON),
        (date(2026, 11, 30), SessionPeriod.MORNING),
        (date(2026, 12, 3), SessionPeriod.AFTERNOON),
    ]
    assert not any(s.cancelled for s in found)


def test_range_starting_midweek_wraps_to_next_week() -> None:
    found = sessions_of([week(row(0))], first_day=date(2026, 11, 25), days=7)
    assert [s.day for s in found] == [date(2026, 11, 30)]


def test_default_period_times_in_hospital_zone() -> None:
    found = sessions_of([week(row(0), row(0, SessionPeriod.EVENING))], days=1)
    morning, evening = found
    assert morning.starts_at == datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
    assert morning.ends_at == datetime(2026, 11, 23, 4, 0, tzinfo=UTC)
    assert evening.starts_at.astimezone(SHANGHAI).time() == time(18, 0)
    assert evening.ends_at.astimezone(SHANGHAI).time() == time(21, 0)


def test_custom_times_override_the_period_defaults() -> None:
    custom = row(0, SessionPeriod.AFTERNOON, start_time=time(14, 0), end_time=time(16, 15))
    (found,) = sessions_of([week(custom)], days=1)
    assert (found.starts_at.time(), found.ends_at.time()) == (time(14, 0), time(16, 15))


def test_session_carries_capacity_fee_and_clinic_type() -> None:
    expert = row(0, capacity=12, registration_fee=5000, clinic_type=ClinicType.EXPERT)
    (found,) = sessions_of([week(expert)], days=1)
    assert (found.capacity, found.registration_fee, found.clinic_type) == (
        12,
        5000,
        ClinicType.EXPERT,
    )
    assert found.template_id == expert.id


def test_leave_cancels_every_session_of_its_days_only() -> None:
    leave = ScheduleException(
        kind=ExceptionKind.LEAVE,
        first_day=date(2026, 11, 24),
        last_day=date(2026, 11, 30),
        reason="学术会议",
        doctor_id=1,
    )
    doctor = week(row(0), row(1), row(1, SessionPeriod.AFTERNOON))
    found = sessions_of([doctor], days=14, exceptions=(leave,))
    cancelled = {(s.day, s.period): s for s in found if s.cancelled}
    assert set(cancelled) == {
        (date(2026, 11, 24), SessionPeriod.MORNING),
        (date(2026, 11, 24), SessionPeriod.AFTERNOON),
        (date(2026, 11, 30), SessionPeriod.MORNING),
    }
    assert all(s.cancel_reason is CancelReason.LEAVE for s in cancelled.values())
    assert cancelled[(date(2026, 11, 24), SessionPeriod.MORNING)].note("zh-CN") == "学术会议"
    running = [(s.day, s.period) for s in found if not s.cancelled]
    assert (date(2026, 11, 23), SessionPeriod.MORNING) in running
    assert (date(2026, 12, 1), SessionPeriod.AFTERNOON) in running


def test_exception_for_one_period_leaves_the_other() -> None:
    stopped = ScheduleException(
        kind=ExceptionKind.STOPPED,
        first_day=MONDAY,
        last_day=MONDAY,
        period=SessionPeriod.AFTERNOON,
        doctor_id=1,
    )
    found = sessions_of(
        [week(row(0), row(0, SessionPeriod.AFTERNOON))], days=1, exceptions=(stopped,)
    )
    assert [(s.period, s.cancel_reason) for s in found] == [
        (SessionPeriod.MORNING, None),
        (SessionPeriod.AFTERNOON, CancelReason.STOPPED),
    ]


def test_exception_scopes_doctor_department_and_hospital() -> None:
    first = week(row(0), doctor_id=1, department_id=5)
    second = week(row(0), doctor_id=2, department_id=6)
    for_doctor_two = ScheduleException(
        kind=ExceptionKind.LEAVE, first_day=MONDAY, last_day=MONDAY, doctor_id=2
    )
    found = sessions_of([first, second], days=1, exceptions=(for_doctor_two,))
    assert {s.doctor_id: s.cancelled for s in found} == {1: False, 2: True}

    for_department = ScheduleException(
        kind=ExceptionKind.STOPPED, first_day=MONDAY, last_day=MONDAY, department_id=5
    )
    found = sessions_of([first, second], days=1, exceptions=(for_department,))
    assert {s.doctor_id: s.cancelled for s in found} == {1: True, 2: False}

    whole_hospital = ScheduleException(
        kind=ExceptionKind.HOLIDAY, first_day=MONDAY, last_day=MONDAY, reason="院庆"
    )
    found = sessions_of([first, second], days=1, exceptions=(whole_hospital,))
    assert all(s.cancel_reason is CancelReason.HOSPITAL_HOLIDAY for s in found)


def test_public_holiday_cancels_unless_marked_to_run() -> None:
    national_day = date(2026, 10, 1)  # a Thursday
    ordinary = row(3)
    on_duty = row(3, SessionPeriod.AFTERNOON, runs_on_holidays=True)
    found = sessions_of(
        [week(ordinary, on_duty)], first_day=national_day, days=1, calendar=china_calendar((2026,))
    )
    morning, afternoon = found
    assert morning.cancelled
    assert morning.cancel_reason is CancelReason.HOLIDAY
    assert morning.note("en") == "National Day"
    assert morning.note("zh-CN") == "国庆节"
    assert not afternoon.cancelled


def test_exception_beats_the_holiday_flag() -> None:
    national_day = date(2026, 10, 1)
    leave = ScheduleException(
        kind=ExceptionKind.LEAVE, first_day=national_day, last_day=national_day, doctor_id=1
    )
    (found,) = sessions_of(
        [week(row(3, runs_on_holidays=True))],
        first_day=national_day,
        days=1,
        exceptions=(leave,),
        calendar=china_calendar((2026,)),
    )
    assert found.cancel_reason is CancelReason.LEAVE


def test_makeup_working_day_runs_the_repaid_weekday() -> None:
    # Saturday 2026-02-14 is worked to repay Friday 2026-02-20 (Spring Festival).
    calendar = china_calendar((2026,))
    friday_clinic = row(4, SessionPeriod.MORNING)
    saturday_clinic = row(5, SessionPeriod.AFTERNOON)
    found = sessions_of(
        [week(friday_clinic, saturday_clinic)],
        first_day=date(2026, 2, 14),
        days=7,
        calendar=calendar,
    )
    by_day = {(s.day, s.period): s for s in found}
    assert not by_day[(date(2026, 2, 14), SessionPeriod.MORNING)].cancelled
    assert by_day[(date(2026, 2, 14), SessionPeriod.MORNING)].template_id == friday_clinic.id
    assert not by_day[(date(2026, 2, 14), SessionPeriod.AFTERNOON)].cancelled
    assert by_day[(date(2026, 2, 20), SessionPeriod.MORNING)].cancel_reason is CancelReason.HOLIDAY


def test_china_calendar_knows_makeup_days_and_days_off() -> None:
    calendar = china_calendar((2026,))
    assert calendar.makeup_workdays[date(2026, 2, 14)] == 4
    assert calendar.makeup_workdays[date(2026, 9, 20)] == 1
    assert calendar.holiday(date(2026, 2, 20)) is not None
    assert calendar.holiday(date(2026, 2, 14)) is None
    assert calendar.holiday(date(2026, 11, 25)) is None


def test_range_across_new_year_reads_both_years() -> None:
    from careline.directory.sessions import calendar_for

    calendar = calendar_for(date(2026, 12, 30), 7)
    assert calendar.holiday(date(2027, 1, 1)) is not None
    found = sessions_of([week(row(4))], first_day=date(2026, 12, 30), days=7, calendar=calendar)
    assert [(s.day, s.cancelled) for s in found] == [(date(2027, 1, 1), True)]


def test_local_today_follows_the_hospital_zone() -> None:
    late_utc = datetime(2026, 11, 25, 16, 30, tzinfo=UTC)
    assert local_today(late_utc, SHANGHAI) == date(2026, 11, 26)
    assert local_today(late_utc, ZoneInfo("UTC")) == date(2026, 11, 25)
    assert local_today(datetime(2026, 11, 25, 15, 59, tzinfo=UTC), SHANGHAI) == date(2026, 11, 25)


def test_sessions_keep_wall_time_across_daylight_saving_change() -> None:
    new_york = ZoneInfo("America/New_York")
    found = sessions_of(
        [week(*(row(d) for d in range(7)))], first_day=date(2026, 3, 7), days=2, zone=new_york
    )
    before, after = found
    assert (
        before.starts_at.astimezone(new_york).hour == after.starts_at.astimezone(new_york).hour == 8
    )
    elapsed = after.starts_at.astimezone(UTC) - before.starts_at.astimezone(UTC)
    assert elapsed == timedelta(hours=23)


def test_sessions_are_ordered_by_start_then_doctor() -> None:
    found = sessions_of(
        [week(row(0, SessionPeriod.AFTERNOON), doctor_id=2), week(row(0), doctor_id=3)], days=1
    )
    assert [s.doctor_id for s in found] == [3, 2]


@pytest.mark.parametrize("days", [0, 63])
def test_day_count_is_bounded(days: int) -> None:
    with pytest.raises(ValueError, match="days"):
        sessions_of([week(row(0))], days=days)
