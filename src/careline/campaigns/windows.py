"""Calling windows: when the dialler may ring patients (pure apart from the holiday tables).

Windows are local wall-clock ranges such as 09:00-12:00 and 14:00-20:00; a range whose end
is not after its start runs across midnight (22:00-02:00 is 22:00 to 02:00 the next day).
On China's public holidays (days off, not make-up working days) only urgent campaigns call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache

import holidays

DEFAULT_WINDOWS: tuple[tuple[time, time], ...] = ((time(9), time(12)), (time(14), time(20)))


@lru_cache(maxsize=8)
def _china_days_off(year: int) -> tuple[frozenset[date], frozenset[date]]:
    china = holidays.country_holidays("CN", years=(year - 1, year, year + 1))
    return frozenset(china), frozenset(china.weekend_workdays)


def china_public_holiday(day: date) -> bool:
    """Tell whether ``day`` is in a public holiday stretch in China (days off in lieu too).

    The holidays tables list the named days and days off in lieu, not the weekend days
    inside a stretch (National Day's Saturday and Sunday), so a weekend day next to a
    listed day off counts too; a make-up working day never does.
    """
    listed, workdays = _china_days_off(day.year)
    if day in listed:
        return True
    if day.weekday() < 5 or day in workdays:
        return False
    before, after = day - timedelta(days=1), day + timedelta(days=1)
    if before.weekday() >= 5:
        before -= timedelta(days=1)
    if after.weekday() >= 5:
        after += timedelta(days=1)
    return bool({before, after, day - timedelta(days=1), day + timedelta(days=1)} & listed)


def parse_windows(text: str) -> tuple[tuple[time, time], ...]:
    """Read ``"09:00-12:00,14:00-20:00"`` into pairs of times."""
    pairs: list[tuple[time, time]] = []
    for part in text.split(","):
        start, sep, end = part.strip().partition("-")
        if not sep:
            raise ValueError("A calling window is written HH:MM-HH:MM.")
        pairs.append((time.fromisoformat(start.strip()), time.fromisoformat(end.strip())))
    if not pairs:
        raise ValueError("At least one calling window is needed.")
    return tuple(pairs)


@dataclass(frozen=True, slots=True)
class CallingWindows:
    """Local time ranges for calls, the hospital's zone and its holiday rule."""

    zone: tzinfo
    windows: tuple[tuple[time, time], ...] = DEFAULT_WINDOWS
    is_holiday: Callable[[date], bool] = china_public_holiday

    def _day_allowed(self, day: date, urgent: bool) -> bool:
        return urgent or not self.is_holiday(day)

    def is_open(self, moment: datetime, *, urgent: bool = False) -> bool:
        """Tell whether a call may start at ``moment`` (aware)."""
        local = moment.astimezone(self.zone)
        clock, day = local.time().replace(tzinfo=None), local.date()
        for start, end in self.windows:
            if start < end:
                if start <= clock < end and self._day_allowed(day, urgent):
                    return True
            elif clock >= start:
                # The evening part belongs to the day the window opened.
                if self._day_allowed(day, urgent):
                    return True
            elif clock < end and self._day_allowed(day - timedelta(days=1), urgent):
                return True
        return False

    def next_open(self, moment: datetime, *, urgent: bool = False) -> datetime:
        """Return ``moment`` if a call may start then, else the next window's opening (UTC)."""
        if self.is_open(moment, urgent=urgent):
            return moment
        local = moment.astimezone(self.zone)
        for offset in range(0, 40):
            day = local.date() + timedelta(days=offset)
            for start in sorted(start for start, _ in self.windows):
                opening = datetime.combine(day, start, tzinfo=self.zone)
                if opening > local and self.is_open(opening, urgent=urgent):
                    return opening.astimezone(UTC)
        raise ValueError("No calling window opens within 40 days.")
