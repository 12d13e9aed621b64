"""One card booking in several sessions at once: the patient's limits still hold.

Each attempt locks a different session, so only the card's lock orders them. On
PostgreSQL the rules read the patient's bookings in the snapshot taken before that lock
was granted; the charge re-checks the limits where every booking is visible.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.db.engine import make_engine
from careline.db.uow import UnitOfWork
from careline.directory.model import SessionPeriod
from careline.scheduling.model import (
    BookingPolicy,
    Channel,
    DuplicateBooking,
    SchedulingError,
    TooManyBookings,
)
from careline.scheduling.service import BookingRequest, book_appointment
from tests.integration.scheduling.world import FEE, build_world, make_clock, total_balance

pytestmark = pytest.mark.asyncio
DAY = date(2026, 11, 27)
CARDS = 8
# One period per session with room for everyone: only the patient's limits refuse.
OPEN = BookingPolicy(period_minutes=240, pool_release_days_before=30)


def _request(doctor: int, card: int, day: date, key: str) -> BookingRequest:
    return BookingRequest(
        doctor_id=doctor,
        day=day,
        period=SessionPeriod.MORNING,
        period_index=0,
        card_id=card,
        channel=Channel.WEB,
        idempotency_key=key,
    )


async def _race(
    any_engine: AsyncEngine, attempts: list[BookingRequest], policy: BookingPolicy
) -> list[object]:
    engines = [make_engine(any_engine.url.render_as_string(hide_password=False)) for _ in range(4)]

    async def attempt(n: int, request: BookingRequest) -> object:
        try:
            async with UnitOfWork(engines[n % len(engines)]) as uow:
                return await book_appointment(
                    uow, request=request, clock=make_clock(), policy=policy
                )
        except SchedulingError as exc:
            return exc

    try:
        return await asyncio.gather(*(attempt(n, r) for n, r in enumerate(attempts)))
    finally:
        for extra in engines:
            await extra.dispose()


async def _bookings_per_card(engine: AsyncEngine) -> dict[int, int]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            sa.text("SELECT card_id, COUNT(*) FROM bookings GROUP BY card_id")
        )
        return {int(card): int(count) for card, count in rows}


async def test_two_doctors_of_one_department_same_day(any_engine: AsyncEngine) -> None:
    world = await build_world(any_engine, patients=CARDS, capacity=40, balance=100_00)
    before = await total_balance(any_engine)
    attempts = [
        _request(doctor, card, DAY, f"dept-{card}-{doctor}")
        for card in world.cards
        for doctor in (world.doctor_id, world.second_doctor_id)
    ]
    results = await _race(any_engine, attempts, OPEN)
    refusals = [r for r in results if isinstance(r, Exception)]
    assert len(refusals) == CARDS
    assert all(isinstance(r, DuplicateBooking) for r in refusals)
    assert await _bookings_per_card(any_engine) == dict.fromkeys(world.cards, 1)
    assert await total_balance(any_engine) == before - CARDS * FEE


async def test_open_bookings_limit_across_days(any_engine: AsyncEngine) -> None:
    # Money for three fees, so the limit is what refuses the third.
    world = await build_world(any_engine, patients=CARDS + 1, capacity=40, balance=3 * FEE)
    *cards, first = world.cards
    days = [date(2026, 11, 26), date(2026, 11, 27), date(2026, 11, 28)]
    # Someone else books first, so the sessions are stored and the racers overlap.
    for day in days:
        await _race(any_engine, [_request(world.doctor_id, first, day, f"first-{day}")], OPEN)
    attempts = [
        _request(world.doctor_id, card, day, f"limit-{card}-{day}")
        for card in cards
        for day in days
    ]
    results = await _race(any_engine, attempts, replace(OPEN, max_active_bookings=2))
    refusals = [r for r in results if isinstance(r, Exception)]
    assert len(refusals) == CARDS
    assert all(isinstance(r, TooManyBookings) for r in refusals)
    assert await _bookings_per_card(any_engine) == {first: 3} | dict.fromkeys(cards, 2)
