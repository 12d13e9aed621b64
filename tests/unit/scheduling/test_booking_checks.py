"""The booking path's pure checks over the state read in one trip."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from careline.scheduling.model import (
    BookingBlocked,
    BookingPolicy,
    BookingSession,
    BookingState,
    Channel,
    DuplicateBooking,
    RealNameRequired,
    SessionFull,
    TooManyBookings,
)
from careline.scheduling.rules import check_history, check_place, check_real_name

TODAY = date(2026, 11, 25)
DAY = date(2026, 11, 27)
STARTS = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)
SESSION = BookingSession(1, 7, 3, DAY, "morning", STARTS, STARTS + timedelta(hours=4), 8, 5000)
NOW = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
ZONE = UTC
VALID_ID = "11010519491231002X"  # the GB 11643 example


def state(**changes: object) -> BookingState:
    values: dict[str, object] = {
        "card_status": "active",
        "patient_id": 9,
        "balance": 100_00,
        "id_number": VALID_ID,
        "merged": False,
        "earlier_id": None,
        "taken": 0,
        "taken_by_channel": 0,
        "held": 0,
        "own_offer": False,
    }
    values.update(changes)
    return BookingState(**values)  # type: ignore[arg-type]


def test_real_name_needs_a_valid_unmerged_id() -> None:
    check_real_name(state(), TODAY)
    for bad in (state(id_number=None), state(merged=True), state(id_number="110105194912310021")):
        with pytest.raises(RealNameRequired):
            check_real_name(bad, TODAY)


def test_history_limits() -> None:
    policy = BookingPolicy(max_active_bookings=2)
    check_history([("cancelled", DAY, 3), ("booked", DAY, 4)], SESSION, TODAY, policy)
    with pytest.raises(DuplicateBooking):
        check_history([("booked", DAY, 3)], SESSION, TODAY, policy)
    with pytest.raises(TooManyBookings):
        check_history([("booked", DAY, 4), ("booked", TODAY, 5)], SESSION, TODAY, policy)
    # An open booking from before today no longer counts.
    check_history([("booked", TODAY - timedelta(days=1), 4)] * 2, SESSION, TODAY, policy)
    no_shows = [("no_show", TODAY - timedelta(days=n), 4) for n in (1, 2, 3)]
    with pytest.raises(BookingBlocked):
        check_history(no_shows, SESSION, TODAY, policy)


def test_place_counts_holds_but_not_the_cards_own_offer() -> None:
    released = BookingPolicy(pool_release_days_before=30, period_minutes=240)
    period = SESSION.periods(released)[0]
    check_place(state(taken=7), SESSION, period, Channel.WEB, NOW, ZONE, released)
    with pytest.raises(SessionFull):
        check_place(state(taken=7, held=1), SESSION, period, Channel.WEB, NOW, ZONE, released)
    offered = state(taken=7, held=1, own_offer=True)
    check_place(offered, SESSION, period, Channel.WEB, NOW, ZONE, released)


def test_place_keeps_channel_pools_before_release() -> None:
    pools = BookingPolicy(pool_release_days_before=1, period_minutes=240)
    period = SESSION.periods(pools)[0]  # 8 places: web's pool is 2 of them
    check_place(state(taken=1, taken_by_channel=1), SESSION, period, Channel.WEB, NOW, ZONE, pools)
    with pytest.raises(SessionFull):
        check_place(
            state(taken=2, taken_by_channel=2), SESSION, period, Channel.WEB, NOW, ZONE, pools
        )
