"""The shared tick's schedule: deadlines from a monotonic base, catch-up and resync."""

import pytest

from careline.telephony.media.pacing import TickPacer


def test_runs_one_tick_per_deadline_without_drift() -> None:
    pacer = TickPacer(100.0)
    runs = []
    now = 100.0
    for _ in range(500):
        runs.append(pacer.due(now))
        # Each sleep overshoots by 1.3 ms; the schedule must not slide with it.
        now += pacer.delay(now) + 0.0013
    assert sum(runs) == 500
    assert pacer.next_deadline == pytest.approx(100.0 + 500 * 0.02)


def test_early_wake_runs_nothing() -> None:
    pacer = TickPacer(10.0)
    assert pacer.due(10.0) == 1
    assert pacer.due(10.019) == 0
    assert pacer.delay(10.019) == pytest.approx(0.001)


def test_late_wake_catches_up_missed_ticks() -> None:
    pacer = TickPacer(10.0)
    assert pacer.due(10.0) == 1
    assert pacer.due(10.065) == 3  # deadlines 10.02, 10.04 and 10.06 have passed
    assert pacer.next_deadline == pytest.approx(10.08)
    assert pacer.late_ticks == 2


def test_long_stall_restarts_the_schedule() -> None:
    pacer = TickPacer(10.0, max_catch_up=5)
    pacer.due(10.0)
    assert pacer.due(12.0) == 1
    assert pacer.resyncs == 1
    assert pacer.next_deadline == pytest.approx(12.02)
