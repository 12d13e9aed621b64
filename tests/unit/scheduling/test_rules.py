from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from careline.scheduling.model import (
    BookingPolicy,
    Channel,
    OutsideWindow,
    Period,
    blocked_until,
    cancel_deadline,
    check_window,
    free_places,
    last_bookable_day,
    pool_sizes,
    pools_released,
    split_periods,
)

ZONE = ZoneInfo("Asia/Shanghai")
POLICY = BookingPolicy()


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZONE)


def test_periods_split_capacity_with_remainder_first() -> None:
    periods = split_periods(local(date(2026, 12, 1), 8), local(date(2026, 12, 1), 12), 10, 30)
    assert len(periods) == 8
    assert [p.capacity for p in periods] == [2, 2, 1, 1, 1, 1, 1, 1]
    assert periods[1].starts_at == local(date(2026, 12, 1), 8, 30)


def test_pools_always_add_up_to_the_capacity() -> None:
    for capacity in range(0, 40):
        sizes = pool_sizes(capacity, POLICY.pool_shares)
        assert sum(sizes.values()) == capacity
    assert pool_sizes(10, POLICY.pool_shares)[Channel.PHONE] == 3


def test_a_channel_cannot_take_another_channels_share_before_release() -> None:
    period = Period(0, local(date(2026, 12, 1), 8), local(date(2026, 12, 1), 9), 10)
    taken = {Channel.WEB: 3}
    assert free_places(period, Channel.WEB, taken, policy=POLICY, released=False) == 0
    assert free_places(period, Channel.PHONE, taken, policy=POLICY, released=False) == 3
    assert free_places(period, Channel.WEB, taken, policy=POLICY, released=True) == 7
    assert free_places(period, Channel.WEB, taken, policy=POLICY, released=True, held=7) == 0


def test_pools_are_released_the_day_before_at_the_set_time() -> None:
    day = date(2026, 12, 2)
    assert not pools_released(POLICY, day, local(date(2026, 12, 1), 16, 59), ZONE)
    assert pools_released(POLICY, day, local(date(2026, 12, 1), 17), ZONE)


def test_the_new_day_opens_at_the_daily_release_time() -> None:
    today = date(2026, 11, 25)
    assert last_bookable_day(POLICY, local(today, 6, 59), ZONE) == date(2026, 12, 1)
    assert last_bookable_day(POLICY, local(today, 7), ZONE) == date(2026, 12, 2)
    period = Period(0, local(date(2026, 12, 2), 8), local(date(2026, 12, 2), 8, 30), 1)
    with pytest.raises(OutsideWindow, match="07:00"):
        check_window(POLICY, period, local(today, 6, 59).astimezone(UTC), ZONE)
    check_window(POLICY, period, local(today, 7).astimezone(UTC), ZONE)


def test_a_period_that_has_begun_cannot_be_booked() -> None:
    day = date(2026, 11, 25)
    period = Period(0, local(day, 8), local(day, 8, 30), 1)
    with pytest.raises(OutsideWindow):
        check_window(POLICY, period, local(day, 8), ZONE)


def test_cancel_deadline_is_the_day_before_at_five() -> None:
    assert cancel_deadline(POLICY, date(2026, 12, 2), ZONE) == local(date(2026, 12, 1), 17)


def test_three_no_shows_within_ninety_days_block_for_thirty_days() -> None:
    days = [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    assert blocked_until(POLICY, days) == date(2026, 3, 31)
    assert blocked_until(POLICY, days[:2]) is None
    spread = [date(2026, 1, 1), date(2026, 3, 1), date(2026, 4, 5)]
    assert blocked_until(POLICY, spread) is None
