"""The phone lines' figures at ``/metrics``, read when Prometheus scrapes.

``careline serve`` publishes each line it runs (``phone``, and ``outbound`` when Careline's
own calls have a line of their own) with a function returning its ``LineReport``: the
server's own figures in one process, the front's sum of its workers' reports with several.
Nothing is counted twice and nothing is kept here: the collector only reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client.core import REGISTRY, CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from careline.telephony.line_report import LineReport

Reader = Callable[[], LineReport]


class LineMetrics(Collector):
    """A Prometheus collector over the published lines."""

    def __init__(self) -> None:
        self._lines: dict[str, Reader] = {}

    def publish(self, line: str, read: Reader) -> Callable[[], None]:
        """Publish a line's figures under ``line=`` until the returned function is called."""
        self._lines[line] = read

        def withdraw() -> None:
            if self._lines.get(line) is read:
                del self._lines[line]

        return withdraw

    def collect(self) -> Iterator[Metric]:
        reports = {line: read() for line, read in self._lines.items()}
        singles = {
            field: family(name, text, labels=["line"])
            for field, (family, name, text) in _SINGLES.items()
        }
        tallies = {
            field: CounterMetricFamily(name, text, labels=["line", label])
            for field, (name, label, text) in _TALLIES.items()
        }
        reachable = GaugeMetricFamily(
            "careline_trunk_reachable",
            "1 when the trunk answered the last OPTIONS, 0 when it did not",
            labels=["line"],
        )
        round_trip = GaugeMetricFamily(
            "careline_trunk_round_trip_seconds",
            "Round trip of the last OPTIONS the trunk answered",
            labels=["line"],
        )
        for line, report in reports.items():
            for field, single in singles.items():
                single.add_metric([line], getattr(report, field))
            for field, tally in tallies.items():
                for key, count in sorted(getattr(report, field).items()):
                    tally.add_metric([line, key], count)
            if report.trunk_reachable is not None:
                reachable.add_metric([line], 1.0 if report.trunk_reachable else 0.0)
            if report.trunk_round_trip is not None:
                round_trip.add_metric([line], report.trunk_round_trip)
        yield from singles.values()
        yield from tallies.values()
        yield reachable
        yield round_trip


# LineReport field -> (family, metric name, help): one sample per line.
_SINGLES: dict[str, tuple[type[GaugeMetricFamily | CounterMetricFamily], str, str]] = {
    "calls_active": (GaugeMetricFamily, "careline_voice_calls_active", "Calls in progress"),
    "extensions_registered": (
        GaugeMetricFamily,
        "careline_voice_extensions_registered",
        "Extensions with a live registration",
    ),
    "media_ticks": (CounterMetricFamily, "careline_media_ticks", "20 ms media ticks run"),
    "media_late_ticks": (
        CounterMetricFamily,
        "careline_media_late_ticks",
        "Media ticks run late, caught up",
    ),
    "media_resyncs": (
        CounterMetricFamily,
        "careline_media_resyncs",
        "Times the media tick fell too far behind and restarted its clock",
    ),
    "rtp_send_failures": (
        CounterMetricFamily,
        "careline_rtp_send_failures",
        "RTP packets refused by the kernel or by the remote (ICMP unreachable)",
    ),
    "worker_restarts": (
        CounterMetricFamily,
        "careline_voice_worker_restarts",
        "Voice worker processes started again after they died",
    ),
}
# LineReport tally -> (metric name, label of its keys, help): one sample per line and key.
_TALLIES = {
    "calls_started": ("careline_voice_calls_started", "direction", "Calls started"),
    "calls_ended": ("careline_voice_calls_ended", "reason", "Calls ended, by reason"),
    "calls_refused": (
        "careline_voice_calls_refused",
        "status",
        "Incoming calls refused before answering, by SIP status",
    ),
}


LINES = LineMetrics()
REGISTRY.register(LINES)

__all__ = ["LINES", "LineMetrics"]
