"""Lunar birthdays (day 30, leap months) and festivals."""

from __future__ import annotations

from datetime import date

from careline.campaigns.lunar import (
    Festival,
    LunarDate,
    festival_on,
    is_lunar_birthday,
    is_solar_birthday,
    lunar_birthday_in,
    month_length,
    to_lunar,
    to_solar,
)


def test_conversion_round_trips_a_known_date() -> None:
    # Spring Festival 2026 is 17 February.
    assert to_lunar(date(2026, 2, 17)) == LunarDate(2026, 1, 1)
    assert to_solar(LunarDate(2026, 1, 1)) == date(2026, 2, 17)


def test_day_30_is_kept_on_day_29_when_the_month_is_short() -> None:
    born = to_solar(LunarDate(1990, 2, 30))
    assert month_length(2026, 2) == 29
    assert lunar_birthday_in(born, 2026) == to_solar(LunarDate(2026, 2, 29))
    assert is_lunar_birthday(born, date(2026, 4, 16))
    assert not is_lunar_birthday(born, date(2026, 4, 17))


def test_leap_month_birthday_is_kept_in_the_ordinary_month() -> None:
    born = to_solar(LunarDate(1990, 5, 10, leap=True))
    assert month_length(2026, 5, leap=True) is None
    assert lunar_birthday_in(born, 2026) == to_solar(LunarDate(2026, 5, 10))
    # 2028 has a leap fifth month: the birthday is the first (ordinary) one, not the leap one.
    assert month_length(2028, 5, leap=True) is not None
    assert is_lunar_birthday(born, to_solar(LunarDate(2028, 5, 10)))
    assert not is_lunar_birthday(born, to_solar(LunarDate(2028, 5, 10, leap=True)))


def test_the_birth_day_itself_is_not_a_birthday() -> None:
    assert not is_lunar_birthday(date(2026, 2, 17), date(2026, 2, 17))
    assert not is_solar_birthday(date(2026, 2, 17), date(2026, 2, 17))


def test_solar_29_february_is_kept_on_28_february() -> None:
    born = date(2000, 2, 29)
    assert is_solar_birthday(born, date(2026, 2, 28))
    assert is_solar_birthday(born, date(2028, 2, 29))
    assert not is_solar_birthday(born, date(2028, 2, 28))


def test_festivals_follow_both_calendars() -> None:
    assert festival_on(date(2026, 2, 17)) is Festival.SPRING_FESTIVAL
    assert festival_on(date(2026, 9, 25)) is Festival.MID_AUTUMN
    assert festival_on(date(2026, 10, 1)) is Festival.NATIONAL_DAY
    assert festival_on(date(2026, 10, 18)) is Festival.DOUBLE_NINTH
    assert festival_on(date(2026, 11, 25)) is None
