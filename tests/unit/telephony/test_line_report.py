"""A line's figures: what a worker sends the front, how workers add up, what Prometheus reads."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest

from careline.telephony.line_report import LineReport
from careline.telephony.metrics import LineMetrics

WORKER_0 = LineReport(
    calls_active=3,
    extensions_registered=2,
    calls_started={"inbound": 10, "outbound": 1},
    calls_ended={"hangup": 7, "rtp_timeout": 1},
    calls_refused={"503": 2},
    media_ticks=500,
    media_late_ticks=4,
    media_resyncs=1,
    rtp_send_failures=6,
    worker_restarts=1,
    trunk_reachable=False,
)
WORKER_1 = LineReport(
    calls_active=1,
    extensions_registered=2,
    calls_started={"inbound": 5},
    calls_ended={"hangup": 4},
    media_ticks=498,
)


def test_a_report_survives_the_trip_to_the_front() -> None:
    assert LineReport.decode(WORKER_0.encode()) == WORKER_0


def test_anything_else_on_the_relay_is_not_taken_for_a_report() -> None:
    good = WORKER_0.encode()
    for broken in (
        b"",
        b"not json",
        b"[1, 2]",
        good.replace(b'"calls_active":3', b'"calls_active":-3'),
        good.replace(b'"media_ticks":500', b'"media_ticks":"500"'),
        good.replace(b'"inbound":10', b'"inbound":-10'),
        good[:-1] + b', "calls_waiting": 1}',
    ):
        assert LineReport.decode(broken) is None, broken


def test_workers_add_up_but_share_their_registrations() -> None:
    total = WORKER_0 + WORKER_1
    assert total.calls_active == 4
    assert total.calls_started == {"inbound": 15, "outbound": 1}
    assert total.calls_ended == {"hangup": 11, "rtp_timeout": 1}
    assert total.calls_refused == {"503": 2}
    assert total.media_ticks == 998
    assert total.rtp_send_failures == 6
    assert total.extensions_registered == 2  # every worker knows every registration
    assert total.trunk_reachable is False  # one process checks the trunk: not summed


def test_prometheus_reads_each_published_line() -> None:
    lines = LineMetrics()
    registry = CollectorRegistry()
    registry.register(lines)
    withdraw = lines.publish("phone", lambda: WORKER_0)
    lines.publish("outbound", lambda: WORKER_1)
    text = generate_latest(registry).decode()
    assert 'careline_voice_calls_active{line="phone"} 3.0' in text
    assert 'careline_voice_calls_active{line="outbound"} 1.0' in text
    assert 'careline_voice_calls_started_total{direction="inbound",line="phone"} 10.0' in text
    assert 'careline_voice_calls_ended_total{line="phone",reason="rtp_timeout"} 1.0' in text
    assert 'careline_voice_calls_refused_total{line="phone",status="503"} 2.0' in text
    assert 'careline_media_late_ticks_total{line="phone"} 4.0' in text
    assert 'careline_rtp_send_failures_total{line="phone"} 6.0' in text
    assert 'careline_voice_extensions_registered{line="phone"} 2.0' in text
    assert 'careline_voice_worker_restarts_total{line="phone"} 1.0' in text
    assert 'careline_trunk_reachable{line="phone"} 0.0' in text
    assert 'careline_trunk_reachable{line="outbound"}' not in text  # not checked there
    withdraw()
    text = generate_latest(registry).decode()
    assert 'line="phone"' not in text
    assert 'careline_voice_calls_active{line="outbound"} 1.0' in text
