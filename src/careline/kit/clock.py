"""Time as a port: real code asks a Clock, tests pass a FakeClock."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

HOSPITAL_DEFAULT_ZONE = ZoneInfo("Asia/Shanghai")


class Clock:
    """Wall time in UTC, the hospital's local day, and a monotonic reading for timers."""

    def __init__(self, zone: tzinfo = HOSPITAL_DEFAULT_ZONE) -> None:
        self.zone = zone

    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        """The date on the hospital's wall calendar."""
        return self.now().astimezone(self.zone).date()

    def monotonic(self) -> float:
        return time.monotonic()


class FakeClock(Clock):
    """A clock that moves only when told to."""

    def __init__(self, start: datetime | None = None, zone: tzinfo = HOSPITAL_DEFAULT_ZONE) -> None:
        super().__init__(zone)
        self._now = start or datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
        self._mono = 1000.0

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)
        self._mono += seconds


def utcnow() -> datetime:
    return datetime.now(UTC)
