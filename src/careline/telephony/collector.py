"""Garbage collection between media ticks, never in the middle of one.

CPython's collector runs whenever enough objects have been allocated, which in a voice
worker means in the middle of the 20 ms tick or of a burst of RTP: a young collection of
a few milliseconds, a full one of 30-80 ms with a thousand calls in progress, each one a
late packet for every call. ``TickCollector`` turns the automatic collector off and
runs the same collections itself right after a tick has sent its packets, when the next
tick is almost 20 ms away:

* the young generations when CPython would have (its own allocation counts and
  thresholds, read with ``gc.get_count``/``gc.get_threshold``), one per tick at most;
* a full collection every 10 s while the worker has no call, and at the latest every
  ``full_every`` seconds. Calls do not leave reference cycles behind (see
  ``InboundLeg.end``), so the full pass only reclaims what an odd error left behind.
"""

from __future__ import annotations

import gc
from collections.abc import Callable

_IDLE_FULL_EVERY = 10.0  # seconds between full collections while no call is in progress


class TickCollector:
    """Run ``gc`` collections from the media tick's ``after_tick`` hook."""

    def __init__(
        self,
        *,
        full_every: float = 600.0,
        busy: Callable[[], bool] = lambda: True,
    ) -> None:
        self.full_every = full_every
        self._busy = busy
        self._last_full: float | None = None
        self.collections = [0, 0, 0]

    def install(self) -> None:
        """Turn CPython's automatic collection off; ``after_tick`` does it from now on."""
        gc.disable()

    def uninstall(self) -> None:
        """Give collection back to CPython."""
        gc.enable()

    def after_tick(self, now: float) -> None:
        """Collect what is due: at most one collection per tick."""
        if self._last_full is None:
            self._last_full = now
        young, middle, _ = gc.get_count()
        first, second, _ = gc.get_threshold()
        idle_long_enough = not self._busy() and now - self._last_full >= _IDLE_FULL_EVERY
        if now - self._last_full >= self.full_every or idle_long_enough:
            self._collect(2)
            self._last_full = now
        elif young > first:
            self._collect(1 if middle >= second else 0)

    def _collect(self, generation: int) -> None:
        gc.collect(generation)
        self.collections[generation] += 1
