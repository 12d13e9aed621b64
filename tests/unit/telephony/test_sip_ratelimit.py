"""Per-source rate limiting and blocking of scanners (fake time)."""

from __future__ import annotations

from careline.telephony.sip.ratelimit import RateLimiter


def test_burst_passes_then_excess_is_dropped() -> None:
    limiter = RateLimiter(rate=1, burst=5, max_strikes=100)
    allowed = [limiter.allow("10.0.0.9", 0.0) for _ in range(8)]
    assert allowed == [True] * 5 + [False] * 3


def test_tokens_come_back_with_time() -> None:
    limiter = RateLimiter(rate=2, burst=2, max_strikes=100)
    assert limiter.allow("10.0.0.9", 0.0)
    assert limiter.allow("10.0.0.9", 0.0)
    assert not limiter.allow("10.0.0.9", 0.1)
    assert limiter.allow("10.0.0.9", 1.0)


def test_flooding_source_is_blocked_then_released() -> None:
    limiter = RateLimiter(rate=1, burst=1, max_strikes=3, block_seconds=600)
    for _ in range(5):
        limiter.allow("10.0.0.9", 0.0)
    assert limiter.is_blocked("10.0.0.9", 1.0)
    assert not limiter.allow("10.0.0.9", 300.0)
    assert limiter.allow("10.0.0.9", 601.0)


def test_failed_logins_block_the_source_only() -> None:
    limiter = RateLimiter(max_failed_auth=3, block_seconds=60)
    for second in range(3):
        limiter.auth_failed("10.0.0.9", float(second))
    assert not limiter.allow("10.0.0.9", 5.0)
    assert limiter.allow("10.0.0.10", 5.0)


def test_failures_spread_over_time_do_not_block() -> None:
    limiter = RateLimiter(max_failed_auth=3, strike_window=60)
    for minute in range(5):
        limiter.auth_failed("10.0.0.9", minute * 61.0)
    assert not limiter.is_blocked("10.0.0.9", 400.0)


def test_exempt_trunk_is_never_limited() -> None:
    limiter = RateLimiter(rate=1, burst=1, exempt=frozenset({"192.0.2.1"}))
    assert all(limiter.allow("192.0.2.1", 0.0) for _ in range(100))
