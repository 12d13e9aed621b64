"""500 patients race for the last 10 places: exactly 10 win, nobody is charged twice."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.db.engine import make_engine
from careline.db.uow import UnitOfWork
from careline.directory.model import SessionPeriod
from careline.scheduling.model import BookingPolicy, Channel, SchedulingError, SessionFull
from careline.scheduling.service import BookingRequest, book_appointment
from tests.integration.scheduling.world import FEE, build_world, make_clock, total_balance

pytestmark = pytest.mark.asyncio
# One period per session, every channel may take every place.
POLICY = BookingPolicy(period_minutes=240, pool_release_days_before=30)
DAY = date(2026, 11, 27)
ATTEMPTS = 500
PLACES = 10
BALANCE = 100_00


def _engines(engine: AsyncEngine, count: int) -> list[AsyncEngine]:
    url = engine.url.render_as_string(hide_password=False)
    return [make_engine(url) for _ in range(count)]


async def _attempt(engine: AsyncEngine, doctor_id: int, card_id: int, key: str) -> object:
    request = BookingRequest(
        doctor_id=doctor_id,
        day=DAY,
        period=SessionPeriod.MORNING,
        period_index=0,
        card_id=card_id,
        channel=Channel.WEB,
        idempotency_key=key,
    )
    try:
        async with UnitOfWork(engine) as uow:
            return await book_appointment(uow, request=request, clock=make_clock(), policy=POLICY)
    except SchedulingError as exc:
        return exc


async def test_five_hundred_attempts_for_ten_places(any_engine: AsyncEngine) -> None:
    world = await build_world(any_engine, patients=ATTEMPTS, capacity=PLACES, balance=BALANCE)
    before = await total_balance(any_engine)
    engines = _engines(any_engine, 6)
    try:
        results = await asyncio.gather(
            *(
                _attempt(engines[n % len(engines)], world.doctor_id, card, f"race-{card}")
                for n, card in enumerate(world.cards)
            )
        )
    finally:
        for extra in engines:
            await extra.dispose()
    failures = [r for r in results if isinstance(r, Exception)]
    assert len(results) - len(failures) == PLACES
    assert all(isinstance(f, SessionFull) for f in failures)
    assert {str(f) for f in failures} == {"This time period is fully booked."}
    async with any_engine.connect() as conn:
        queue = (await conn.execute(sa.text("SELECT queue_number FROM bookings"))).scalars().all()
        charges = (
            (
                await conn.execute(
                    sa.text("SELECT card_id FROM member_ledger_entries WHERE kind = 'charge'")
                )
            )
            .scalars()
            .all()
        )
    assert sorted(queue) == list(range(1, PLACES + 1))
    assert len(charges) == PLACES
    assert max(Counter(charges).values()) == 1
    assert await total_balance(any_engine) == before - PLACES * FEE


async def test_the_same_key_sent_many_times_books_and_charges_once(any_engine: AsyncEngine) -> None:
    world = await build_world(any_engine, patients=1, capacity=PLACES, balance=BALANCE)
    engines = _engines(any_engine, 4)
    try:
        results = await asyncio.gather(
            *(
                _attempt(engines[n % len(engines)], world.doctor_id, world.cards[0], "one-key")
                for n in range(40)
            )
        )
    finally:
        for extra in engines:
            await extra.dispose()
    assert not [r for r in results if isinstance(r, Exception)]
    assert len({getattr(r, "id", None) for r in results}) == 1
    assert await total_balance(any_engine) == BALANCE - FEE
