"""Lunar birthdays and the Chinese festivals a care campaign greets on (pure).

The conversion tables come from ``lunar-python`` (MIT, 1900-2100). Two rules the tables do
not decide for us:

* a birthday on day 30 of a month that has only 29 days this year is kept on day 29 (the
  last day of that month), as families do;
* a birthday in a leap month (闰月) is kept in the ordinary month of the same number in
  years without that leap month, and also in the ordinary month in years that have it
  (the leap month repeats the month; people celebrate the first one).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache

from lunar_python import LunarYear, Solar  # type: ignore[import-untyped]

FIRST_YEAR = 1901
LAST_YEAR = 2099


@dataclass(frozen=True, slots=True)
class LunarDate:
    """A day in the Chinese calendar; ``leap`` marks a day of a leap month (闰月)."""

    year: int
    month: int
    day: int
    leap: bool = False


@lru_cache(maxsize=512)
def _months(year: int) -> tuple[tuple[int, bool, date, int], ...]:
    """The months of a lunar year: (number, leap, first solar day, length), in order.

    Read once per year from lunar-python; every conversion is then a table lookup (building
    the library's objects costs milliseconds, too slow for 100,000 patients).
    """
    months = []
    for month in LunarYear.fromYear(year).getMonthsInYear():
        first = Solar.fromJulianDay(month.getFirstJulianDay())
        start = date(int(first.getYear()), int(first.getMonth()), int(first.getDay()))
        number = int(month.getMonth())
        months.append((abs(number), number < 0, start, int(month.getDayCount())))
    return tuple(months)


@lru_cache(maxsize=65536)
def to_lunar(day: date) -> LunarDate:
    """Convert a solar (Gregorian) date to the Chinese calendar."""
    for year in (day.year, day.year - 1):
        for number, leap, first, length in _months(year):
            offset = (day - first).days
            if 0 <= offset < length:
                return LunarDate(year, number, offset + 1, leap)
    raise ValueError("The date is outside the lunar calendar tables.")


def month_length(year: int, month: int, *, leap: bool = False) -> int | None:
    """Days in a lunar month of ``year`` (29 or 30), or None when that month does not exist."""
    for number, is_leap, _, length in _months(year):
        if (number, is_leap) == (month, leap):
            return length
    return None


def to_solar(value: LunarDate) -> date:
    """Convert a lunar date that exists to the solar calendar."""
    for number, leap, first, length in _months(value.year):
        if (number, leap) == (value.month, value.leap) and 1 <= value.day <= length:
            return first + timedelta(days=value.day - 1)
    raise ValueError("That lunar date does not exist.")


def lunar_birthday_in(birth_date: date, lunar_year: int) -> date:
    """Return the solar date of the lunar birthday in ``lunar_year`` (day 30 and leap rules)."""
    born = to_lunar(birth_date)
    length = month_length(lunar_year, born.month) or 29
    return to_solar(LunarDate(lunar_year, born.month, min(born.day, length)))


def is_lunar_birthday(birth_date: date, today: date) -> bool:
    """Tell whether ``today`` is the patient's lunar birthday (never on the birth day itself)."""
    if today <= birth_date or not FIRST_YEAR <= today.year <= LAST_YEAR:
        return False
    current = to_lunar(today)
    if current.leap:
        return False
    return lunar_birthday_in(birth_date, current.year) == today


def is_solar_birthday(birth_date: date, today: date) -> bool:
    """Tell whether ``today`` is the birthday; 29 February is kept on 28 February."""
    if today <= birth_date:
        return False
    if (birth_date.month, birth_date.day) == (2, 29) and not _leap_year(today.year):
        return (today.month, today.day) == (2, 28)
    return (today.month, today.day) == (birth_date.month, birth_date.day)


def _leap_year(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


class Festival(StrEnum):
    NEW_YEAR = "new_year"
    SPRING_FESTIVAL = "spring_festival"
    LANTERN = "lantern"
    DRAGON_BOAT = "dragon_boat"
    MID_AUTUMN = "mid_autumn"
    DOUBLE_NINTH = "double_ninth"
    NATIONAL_DAY = "national_day"


_LUNAR_FESTIVALS = {
    (1, 1): Festival.SPRING_FESTIVAL,
    (1, 15): Festival.LANTERN,
    (5, 5): Festival.DRAGON_BOAT,
    (8, 15): Festival.MID_AUTUMN,
    (9, 9): Festival.DOUBLE_NINTH,
}
_SOLAR_FESTIVALS = {(1, 1): Festival.NEW_YEAR, (10, 1): Festival.NATIONAL_DAY}


def festival_on(today: date) -> Festival | None:
    """Return the festival that falls on ``today``, if any."""
    solar = _SOLAR_FESTIVALS.get((today.month, today.day))
    if solar is not None:
        return solar
    current = to_lunar(today)
    if current.leap:
        return None
    return _LUNAR_FESTIVALS.get((current.month, current.day))
