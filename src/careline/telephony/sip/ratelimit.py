"""Per-source limits that slow a SIP scanner down and then shut it out for a while.

Each source address has a token bucket (``rate`` requests a second, ``burst`` at once).
Requests beyond it are dropped silently: answering a flood only feeds it. Every drop and
every failed authentication is a strike; ``max_strikes`` within ``strike_window`` seconds
block the source for ``block_seconds``. Sources in ``exempt`` (the trunk) are never limited.
Pure logic: the caller passes ``now``.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class _Source:
    tokens: float
    updated: float
    strikes: list[float] = field(default_factory=list)
    blocked_until: float = 0.0


class RateLimiter:
    """Decide whether a datagram from a source may be processed."""

    def __init__(
        self,
        *,
        rate: float = 20.0,
        burst: float = 60.0,
        max_strikes: int = 10,
        strike_window: float = 60.0,
        block_seconds: float = 600.0,
        max_failed_auth: int = 5,
        exempt: frozenset[str] = frozenset(),
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.max_strikes = max_strikes
        self.strike_window = strike_window
        self.block_seconds = block_seconds
        self.max_failed_auth = max_failed_auth
        self.exempt = exempt
        self._sources: dict[str, _Source] = {}
        self._failed_auth: dict[str, list[float]] = {}

    def allow(self, source: str, now: float) -> bool:
        """Spend one token for a request from source; False means drop it."""
        if source in self.exempt:
            return True
        state = self._sources.get(source)
        if state is None:
            state = self._sources[source] = _Source(self.burst, now)
        if now < state.blocked_until:
            return False
        state.tokens = min(self.burst, state.tokens + (now - state.updated) * self.rate)
        state.updated = now
        if state.tokens >= 1.0:
            state.tokens -= 1.0
            return True
        self._strike(state, now)
        return False

    def auth_failed(self, source: str, now: float) -> None:
        """Count a failed authentication; enough of them block the source."""
        if source in self.exempt:
            return
        state = self._sources.setdefault(source, _Source(self.burst, now))
        recent = [t for t in self._failed_auth.get(source, []) if now - t < self.strike_window]
        recent.append(now)
        self._failed_auth[source] = recent
        if len(recent) >= self.max_failed_auth:
            state.blocked_until = now + self.block_seconds
            self._failed_auth.pop(source, None)

    def is_blocked(self, source: str, now: float) -> bool:
        """Return True while the source is shut out."""
        state = self._sources.get(source)
        return state is not None and now < state.blocked_until

    def _strike(self, state: _Source, now: float) -> None:
        state.strikes = [t for t in state.strikes if now - t < self.strike_window]
        state.strikes.append(now)
        if len(state.strikes) >= self.max_strikes:
            state.blocked_until = now + self.block_seconds
            state.strikes.clear()

    def prune(self, now: float) -> None:
        """Forget sources that are neither blocked nor recently seen."""
        idle = [
            source
            for source, state in self._sources.items()
            if state.blocked_until <= now and now - state.updated > self.strike_window
        ]
        for source in idle:
            del self._sources[source]
            self._failed_auth.pop(source, None)


__all__ = ["RateLimiter"]
