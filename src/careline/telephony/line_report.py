"""What a phone line tells the operator about itself: calls, registrations, media health.

A ``LineReport`` is read from a ``VoiceServer`` in the process that runs it. A voice
worker sends its report to the front every few seconds (``dispatch.report_message``), so
the main process can publish one line's figures, summed over its workers, at ``/metrics``
(``telephony.metrics``). Counters only grow while a process lives; a restarted worker starts
again from zero, which Prometheus' ``rate`` and ``increase`` take as a counter reset.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, NonNegativeInt, ValidationError

if TYPE_CHECKING:
    from careline.telephony.server import VoiceServer

_TALLIES = ("calls_started", "calls_ended", "calls_refused")
_STATES = ("trunk_reachable", "trunk_round_trip")  # one process checks: not summed


class LineReport(BaseModel):
    """One line's (or one voice worker's) figures at a moment."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    calls_active: NonNegativeInt = 0
    extensions_registered: NonNegativeInt = 0
    calls_started: dict[str, NonNegativeInt] = {}  # by direction
    calls_ended: dict[str, NonNegativeInt] = {}  # by reason
    calls_refused: dict[str, NonNegativeInt] = {}  # by SIP status
    media_ticks: NonNegativeInt = 0
    media_late_ticks: NonNegativeInt = 0
    media_resyncs: NonNegativeInt = 0
    rtp_send_failures: NonNegativeInt = 0
    worker_restarts: NonNegativeInt = 0  # voice workers started again (set by the pool)
    trunk_reachable: bool | None = None  # None: no trunk, not checked, or not yet
    trunk_round_trip: float | None = None  # seconds, of the last answered OPTIONS

    @classmethod
    def of(cls, server: VoiceServer) -> LineReport:
        """Read a running server's figures."""
        media = server.media
        pacer = media.pacer
        return cls(
            calls_active=server.active_calls,
            extensions_registered=server.registrar.registered(server.stack.now),
            calls_started=dict(server.calls_started),
            calls_ended=dict(server.calls_ended),
            calls_refused=dict(server.calls_refused),
            media_ticks=media.ticks,
            media_late_ticks=pacer.late_ticks if pacer is not None else 0,
            media_resyncs=pacer.resyncs if pacer is not None else 0,
            rtp_send_failures=media.send_failures,
            trunk_reachable=server.trunk_state.reachable,
            trunk_round_trip=server.trunk_state.round_trip,
        )

    def encode(self) -> bytes:
        """Return the report as a small JSON document."""
        return self.model_dump_json().encode()

    @classmethod
    def decode(cls, data: bytes) -> LineReport | None:
        """Read an encoded report; None when the message is not a valid report."""
        try:
            return cls.model_validate_json(data)
        except ValidationError:
            return None

    def __add__(self, other: LineReport) -> LineReport:
        """Sum two workers' figures (registrations are shared by every worker, not summed)."""
        summed: dict[str, object] = {}
        for name in type(self).model_fields:
            mine, theirs = getattr(self, name), getattr(other, name)
            if name in _TALLIES:
                summed[name] = dict(Counter(mine) + Counter(theirs))
            elif name in _STATES:
                summed[name] = mine if mine is not None else theirs
            elif name == "extensions_registered":
                summed[name] = max(mine, theirs)
            else:
                summed[name] = mine + theirs
        return LineReport.model_validate(summed)


__all__ = ["LineReport"]
