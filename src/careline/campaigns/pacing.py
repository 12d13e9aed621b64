"""Pacing: how many lines the dialler may hold and how fast it may start calls (pure).

Two limits apply together: ``max_lines`` calls in progress at once, and ``calls_per_minute``
new calls (a token bucket with a burst of ``burst`` calls, refilled continuously). Times
are monotonic seconds passed in by the caller, so tests drive it with a fake clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Pacer:
    """Say whether a call may start now and how long to wait otherwise."""

    max_lines: int = 10
    calls_per_minute: float = 30.0
    burst: int = 1
    active: int = 0
    _tokens: float = field(default=-1.0, repr=False)
    _last: float | None = field(default=None, repr=False)

    def _refill(self, now: float) -> None:
        if self._tokens < 0:
            self._tokens = float(self.burst)
        if self._last is not None:
            rate = self.calls_per_minute / 60.0
            self._tokens = min(float(self.burst), self._tokens + (now - self._last) * rate)
        self._last = now

    def wait_seconds(self, now: float) -> float:
        """Seconds until a call may start (0 when it may start now)."""
        self._refill(now)
        if self.active >= self.max_lines:
            return float("inf")
        if self._tokens >= 1.0:
            return 0.0
        return (1.0 - self._tokens) * 60.0 / self.calls_per_minute

    def try_start(self, now: float) -> bool:
        """Take a line and a token when both are free."""
        if self.wait_seconds(now) > 0:
            return False
        self._tokens -= 1.0
        self.active += 1
        return True

    def finished(self) -> None:
        """Give a line back when a call ends."""
        self.active = max(0, self.active - 1)

    def available(self, now: float) -> int:
        """How many calls may start now (free lines and whole tokens)."""
        self._refill(now)
        return max(0, min(self.max_lines - self.active, int(self._tokens)))
