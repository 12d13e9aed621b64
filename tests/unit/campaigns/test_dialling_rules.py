"""Calling windows (midnight, holidays), the retry state machine and pacing on a fake clock."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from careline.campaigns.model import TargetStatus
from careline.campaigns.pacing import Pacer
from careline.campaigns.retry import AttemptOutcome, Finished, Retry, RetryPolicy, after_attempt
from careline.campaigns.windows import CallingWindows, parse_windows
from careline.kit.clock import FakeClock

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def test_default_windows_skip_lunch_and_evening() -> None:
    windows = CallingWindows(SHANGHAI)
    assert windows.is_open(local(2026, 11, 25, 9, 0))
    assert not windows.is_open(local(2026, 11, 25, 12, 30))
    assert not windows.is_open(local(2026, 11, 25, 20, 0))
    assert windows.next_open(local(2026, 11, 25, 12, 30)) == local(2026, 11, 25, 14, 0)
    assert windows.next_open(local(2026, 11, 25, 21, 0)) == local(2026, 11, 26, 9, 0)


def test_a_window_across_midnight_belongs_to_the_day_it_opens() -> None:
    night = CallingWindows(SHANGHAI, parse_windows("22:00-02:00"))
    assert night.windows == ((time(22), time(2)),)
    assert night.is_open(local(2026, 11, 25, 23, 30))
    assert night.is_open(local(2026, 11, 26, 1, 59))
    assert not night.is_open(local(2026, 11, 26, 2, 0))
    # 30 September 22:00 opens before National Day, so 1 October 01:00 still calls ...
    assert night.is_open(local(2026, 10, 1, 1, 0))
    # ... but the window that opens on 1 October (a holiday) does not.
    assert not night.is_open(local(2026, 10, 1, 23, 0))
    assert not night.is_open(local(2026, 10, 2, 1, 0))


def test_no_calls_on_public_holidays_unless_urgent() -> None:
    windows = CallingWindows(SHANGHAI)
    national_day = local(2026, 10, 1, 10, 0)
    assert not windows.is_open(national_day)
    assert windows.is_open(national_day, urgent=True)
    # National Day runs to 7 October; the make-up working day 10 October (Saturday) calls.
    assert windows.next_open(national_day) == local(2026, 10, 8, 9, 0)
    assert windows.is_open(local(2026, 10, 10, 9, 30))


def test_retry_delays_by_outcome_and_the_attempt_limit() -> None:
    policy = RetryPolicy()
    ended = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
    busy = after_attempt(policy, number=1, outcome=AttemptOutcome.BUSY, ended_at=ended)
    assert busy == Retry(2, ended + timedelta(minutes=10))
    silent = after_attempt(policy, number=2, outcome=AttemptOutcome.NO_ANSWER, ended_at=ended)
    assert silent == Retry(3, ended + timedelta(hours=2))
    failed = after_attempt(policy, number=1, outcome=AttemptOutcome.FAILED, ended_at=ended)
    assert failed == Retry(2, ended + timedelta(minutes=30))
    last = after_attempt(policy, number=3, outcome=AttemptOutcome.BUSY, ended_at=ended)
    assert last == Finished(TargetStatus.UNREACHED)
    answered = after_attempt(policy, number=3, outcome=AttemptOutcome.ANSWERED, ended_at=ended)
    assert answered == Finished(TargetStatus.REACHED)
    out = after_attempt(policy, number=1, outcome=AttemptOutcome.OPTED_OUT, ended_at=ended)
    assert out == Finished(TargetStatus.OPTED_OUT)
    short = RetryPolicy(busy_seconds=1, max_attempts=5)
    assert after_attempt(short, number=4, outcome=AttemptOutcome.BUSY, ended_at=ended) == Retry(
        5, ended + timedelta(seconds=1)
    )


def test_pacing_limits_lines_and_calls_per_minute() -> None:
    clock = FakeClock()
    pacer = Pacer(max_lines=2, calls_per_minute=6, burst=2)
    assert pacer.try_start(clock.monotonic())
    assert pacer.try_start(clock.monotonic())
    assert not pacer.try_start(clock.monotonic())  # both lines busy
    pacer.finished()
    assert pacer.wait_seconds(clock.monotonic()) == 10.0  # no token left: one per 10 s
    clock.advance(5)
    assert not pacer.try_start(clock.monotonic())
    clock.advance(5)
    assert pacer.try_start(clock.monotonic())
    pacer.finished()
    pacer.finished()
    clock.advance(600)
    # The bucket holds no more than the burst however long the dialler was idle.
    assert [pacer.try_start(clock.monotonic()) for _ in range(3)] == [True, True, False]
