"""When the shared media tick runs: a deadline schedule against a monotonic base.

Deadlines are ``base + k * interval``, never ``now + interval``, so the error of each sleep
does not add up into drift. A tick that wakes late runs the ticks it missed at once (the
far end's jitter buffer absorbs a short burst better than a gap); if the loop was stalled
for longer than ``max_catch_up`` ticks, the schedule restarts from now instead of flooding.
"""

from __future__ import annotations


class TickPacer:
    """Decide how many 20 ms ticks are due at a given monotonic time."""

    __slots__ = ("interval", "max_catch_up", "next_deadline", "resyncs", "late_ticks")

    def __init__(self, start: float, *, interval: float = 0.02, max_catch_up: int = 5) -> None:
        self.interval = interval
        self.max_catch_up = max_catch_up
        self.next_deadline = start
        self.resyncs = 0
        self.late_ticks = 0

    def due(self, now: float) -> int:
        """Return how many ticks to run now and move the deadline past them."""
        if now < self.next_deadline:
            return 0
        count = int((now - self.next_deadline) / self.interval) + 1
        if count > self.max_catch_up:
            self.resyncs += 1
            self.next_deadline = now + self.interval
            return 1
        self.late_ticks += count - 1
        self.next_deadline += count * self.interval
        return count

    def delay(self, now: float) -> float:
        """Return how long to sleep until the next deadline."""
        return max(self.next_deadline - now, 0.0)
