"""Consultation windows, exceptions, fees and masking (pure)."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from careline.consultations.model import (
    ConsultSettings,
    FeeMode,
    InvalidConsultSettings,
    InvalidWindow,
    Window,
    WindowException,
    charge_for,
    check_numbers,
    is_open,
    masked,
    next_open,
)

ZONE = ZoneInfo("Asia/Shanghai")
WEEK = [Window(0, time(9), time(11)), Window(2, time(14), time(16))]  # Monday, Wednesday


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=ZONE)  # 2026-11-23 is a Monday


def test_open_inside_a_window_only() -> None:
    assert is_open(at(23, 9), WEEK, [])
    assert is_open(at(23, 10, 59), WEEK, [])
    assert not is_open(at(23, 11), WEEK, [])
    assert not is_open(at(24, 10), WEEK, [])


def test_exceptions_close_a_day_part_of_a_day_or_open_an_extra_window() -> None:
    closed_day = [WindowException(date(2026, 11, 23), available=False)]
    assert not is_open(at(23, 10), WEEK, closed_day)
    closed_hour = [WindowException(date(2026, 11, 23), False, time(9), time(10))]
    assert not is_open(at(23, 9, 30), WEEK, closed_hour)
    assert is_open(at(23, 10, 30), WEEK, closed_hour)
    extra = [WindowException(date(2026, 11, 24), True, time(19), time(20))]
    assert is_open(at(24, 19, 15), WEEK, extra)


def test_next_open_skips_closures() -> None:
    assert next_open(at(23, 12), WEEK, []) == at(25, 14)
    closed = [WindowException(date(2026, 11, 25), available=False)]
    assert next_open(at(23, 12), WEEK, closed) == at(30, 9)
    late_start = [WindowException(date(2026, 11, 25), False, time(14), time(15))]
    assert next_open(at(23, 12), WEEK, late_start) == at(25, 15)
    assert next_open(at(23, 12), [], []) is None


def test_fees() -> None:
    per_minute = ConsultSettings(1, True, 600, FeeMode.PER_MINUTE, 500)
    assert charge_for(per_minute, 61) == 1000
    assert charge_for(per_minute, 60) == 500
    assert charge_for(per_minute, 0) == 0
    once = ConsultSettings(1, True, 600, FeeMode.PER_CONSULTATION, 3000)
    assert charge_for(once, 1) == 3000
    assert charge_for(ConsultSettings(1, True), 600) == 0


@pytest.mark.parametrize(
    "make",
    [
        lambda: Window(7, time(9), time(10)),
        lambda: Window(1, time(10), time(9)),
        lambda: WindowException(date(2026, 11, 23), True),
        lambda: WindowException(date(2026, 11, 23), False, time(9), None),
        lambda: ConsultSettings(1, True, 30),
        lambda: ConsultSettings(1, True, 600, FeeMode.PER_MINUTE, 0),
    ],
)
def test_unsound_terms_are_refused(make: object) -> None:
    assert callable(make)
    with pytest.raises((InvalidWindow, InvalidConsultSettings)):
        make()


def test_numbers_are_kept_in_order_and_masked() -> None:
    assert check_numbers([" 13712345678", "02161234567", "13712345678"]) == [
        "13712345678",
        "02161234567",
    ]
    with pytest.raises(InvalidConsultSettings):
        check_numbers([f"1380000000{i}" for i in range(6)])
    with pytest.raises(InvalidConsultSettings):
        check_numbers(["no digits"])
    assert masked("13712345678") == "*********78"
    assert "1234" not in masked("+86 137 1234 5678")
