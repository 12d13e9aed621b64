"""A session's periods with the places set for one day, and the rules for setting them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from careline.scheduling.model import (
    BookingPolicy,
    BookingSession,
    CapacityBelowTaken,
    InvalidCapacity,
    PeriodOutOfRange,
    SchedulingError,
    new_period_capacities,
)
from careline.scheduling.repository import session_from_row

STARTS = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)
# Four hours of 30-minute periods: 8 periods, 10 places split 2, 2, 1, 1, 1, 1, 1, 1.
SESSION = BookingSession(
    1, 7, 3, date(2026, 11, 27), "morning", STARTS, STARTS + timedelta(hours=4), 10, 5000
)
POLICY = BookingPolicy()


def test_without_places_set_the_capacity_is_split_evenly() -> None:
    assert [p.capacity for p in SESSION.periods(POLICY)] == [2, 2, 1, 1, 1, 1, 1, 1]


def test_places_set_for_the_day_replace_the_split() -> None:
    places = (0, 3, 1, 1, 1, 1, 1, 5)
    session = replace(SESSION, capacity=sum(places), period_capacities=places)
    periods = session.periods(POLICY)
    assert [p.capacity for p in periods] == list(places)
    assert [p.starts_at for p in periods] == [p.starts_at for p in SESSION.periods(POLICY)]


def test_places_set_for_another_period_length_fall_back_to_the_split() -> None:
    session = replace(SESSION, capacity=13, period_capacities=(0, 3, 1, 1, 1, 1, 1, 5))
    hourly = BookingPolicy(period_minutes=60)
    assert [p.capacity for p in session.periods(hourly)] == [4, 3, 3, 3]


def test_setting_a_period_keeps_the_others() -> None:
    periods = SESSION.periods(POLICY)
    assert new_period_capacities(periods, 2, 6, taken=1) == (2, 2, 6, 1, 1, 1, 1, 1)
    assert new_period_capacities(periods, 0, 1, taken=1) == (1, 2, 1, 1, 1, 1, 1, 1)


@pytest.mark.parametrize(
    ("index", "capacity", "taken", "error"),
    [
        (8, 2, 0, PeriodOutOfRange),
        (-1, 2, 0, PeriodOutOfRange),
        (0, -1, 0, InvalidCapacity),
        (0, 1000, 0, InvalidCapacity),
        (0, 2, 3, CapacityBelowTaken),
    ],
)
def test_impossible_places_are_refused(
    index: int, capacity: int, taken: int, error: type[Exception]
) -> None:
    with pytest.raises(error):
        new_period_capacities(SESSION.periods(POLICY), index, capacity, taken)


def test_the_refusal_says_how_many_places_are_booked() -> None:
    with pytest.raises(CapacityBelowTaken) as refused:
        new_period_capacities(SESSION.periods(POLICY), 1, 2, taken=3)
    assert refused.value.message == (
        "Places already booked in this period: 3. The capacity cannot be lower."
    )
    assert refused.value.template.startswith("Places already booked in this period: {taken}")
    assert (refused.value.status_code, refused.value.field) == (409, "capacity")


def _row(places: str | None) -> dict[str, Any]:
    return {
        "id": 1,
        "doctor_id": 7,
        "department_id": 3,
        "day": date(2026, 11, 27),
        "period": "morning",
        "starts_at": STARTS,
        "ends_at": STARTS + timedelta(hours=4),
        "capacity": 10,
        "registration_fee": 5000,
        "stopped": False,
        "stop_reason": "",
        "period_capacities": places,
    }


@pytest.mark.parametrize(
    ("stored", "read"),
    [
        (None, None),
        ("[0,3,1,1,1,1,1,2]", (0, 3, 1, 1, 1, 1, 1, 2)),
        ("not json", None),
        ('{"0": 3}', None),
        ("[1, 2.5]", None),
        ("[true, 1]", None),
    ],
)
def test_stored_places_are_read_or_ignored(stored: str | None, read: object) -> None:
    assert session_from_row(_row(stored)).period_capacities == read


def test_every_refusal_has_a_chinese_translation() -> None:
    from careline.web.i18n import catalog

    periods = SESSION.periods(POLICY)
    templates = []
    for index, capacity, taken in ((9, 1, 0), (0, -1, 0), (0, 1, 2)):
        with pytest.raises(SchedulingError) as refused:
            new_period_capacities(periods, index, capacity, taken)
        templates.append(refused.value.template)
    translations = catalog("zh-CN")
    assert [t for t in templates if t not in translations] == []
    assert "{taken}" in translations[templates[2]]
