"""PostgreSQL's booking path: statements through asyncpg, place counts on the session row."""

from __future__ import annotations

import asyncio
import json
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from careline.db.uow import UnitOfWork
from careline.directory.model import SessionPeriod
from careline.scheduling.model import BookingPolicy, Channel, SessionFull
from careline.scheduling.pg_repository import PgSchedulingRepository
from careline.scheduling.service import BookingRequest, book_appointment, cancel_booking
from tests.integration.scheduling.world import build_world, make_clock

pytestmark = [pytest.mark.asyncio, pytest.mark.postgres]
DAY = date(2026, 11, 27)
POLICY = BookingPolicy(pool_release_days_before=30)


def _request(doctor: int, card: int, key: str, index: int = 0, **extra: Any) -> BookingRequest:
    values: dict[str, Any] = {
        "doctor_id": doctor,
        "day": DAY,
        "period": SessionPeriod.MORNING,
        "period_index": index,
        "card_id": card,
        "channel": Channel.WEB,
        "idempotency_key": key,
        **extra,
    }
    return BookingRequest(**values)


async def _book(engine: AsyncEngine, request: BookingRequest) -> int:
    async with UnitOfWork(engine) as uow:
        booking = await book_appointment(uow, request=request, clock=make_clock(), policy=POLICY)
    return booking.id


async def _stored_and_actual(engine: AsyncEngine) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    async with engine.connect() as conn:
        stored = await conn.scalar(sa.text("SELECT taken_counts FROM booking_sessions"))
        rows = await conn.execute(
            sa.text(
                "SELECT period_index, channel, COUNT(*) FROM bookings "
                "WHERE status IN ('booked', 'attended', 'no_show') "
                "GROUP BY period_index, channel"
            )
        )
        actual: dict[str, Any] = {}
        for index, channel, count in rows:
            actual.setdefault(str(index), {})[channel] = count
    return (json.loads(stored) if stored is not None else None), actual


async def test_counts_follow_bookings_and_cancellations(pg_engine: AsyncEngine) -> None:
    world = await build_world(pg_engine, patients=6)
    cards = world.cards
    first = await _book(pg_engine, _request(world.doctor_id, cards[0], "k0"))
    await _book(pg_engine, _request(world.doctor_id, cards[1], "k1"))  # counts the session
    await _book(pg_engine, _request(world.doctor_id, cards[2], "k2", index=1))
    await _book(
        pg_engine, _request(world.doctor_id, cards[3], "k3", index=1, channel=Channel.PHONE)
    )
    stored, actual = await _stored_and_actual(pg_engine)
    assert stored == actual == {"0": {"web": 2}, "1": {"web": 1, "phone": 1}}

    async with UnitOfWork(pg_engine) as uow:
        await cancel_booking(uow, booking_id=first, clock=make_clock(), policy=POLICY)
    stored, actual = await _stored_and_actual(pg_engine)
    assert stored is None  # a place was given back: count again
    await _book(pg_engine, _request(world.doctor_id, cards[4], "k4"))
    stored, actual = await _stored_and_actual(pg_engine)
    assert stored == actual == {"0": {"web": 2}, "1": {"web": 1, "phone": 1}}


async def test_counted_booking_is_two_statements(
    pg_engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await build_world(pg_engine, patients=3, capacity=40)
    await _book(pg_engine, _request(world.doctor_id, world.cards[0], "a"))
    await _book(pg_engine, _request(world.doctor_id, world.cards[1], "b"))
    sent: list[str] = []
    original = PgSchedulingRepository._run

    async def counted(self: Any, statement: Any, params: Any, call: str = "fetch") -> Any:
        sent.append(statement.sql.split()[0])
        return await original(self, statement, params, call)

    def through_sqlalchemy(*args: Any) -> None:
        sent.append(f"sqlalchemy: {args[2]}")

    monkeypatch.setattr(PgSchedulingRepository, "_run", counted)
    event.listen(pg_engine.sync_engine, "before_cursor_execute", through_sqlalchemy)
    try:
        await _book(pg_engine, _request(world.doctor_id, world.cards[2], "c"))
    finally:
        event.remove(pg_engine.sync_engine, "before_cursor_execute", through_sqlalchemy)
    assert sent == ["SELECT", "WITH"]


async def test_last_places_race_with_counts(pg_engine: AsyncEngine) -> None:
    # 4 places in the period (the pools are released): 30 racers for the 3 left.
    world = await build_world(pg_engine, patients=30, capacity=32)
    await _book(pg_engine, _request(world.doctor_id, world.cards[0], "warm"))

    async def attempt(card: int) -> bool:
        try:
            await _book(pg_engine, _request(world.doctor_id, card, f"r{card}"))
        except SessionFull:
            return False
        return True

    done = await asyncio.gather(*(attempt(card) for card in world.cards[1:]))
    stored, actual = await _stored_and_actual(pg_engine)
    assert sum(done) + 1 == 4
    assert stored == actual == {"0": {"web": 4}}


async def test_a_held_place_is_not_taken_on_a_stale_read(pg_engine: AsyncEngine) -> None:
    world = await build_world(pg_engine, patients=3)
    await _book(pg_engine, _request(world.doctor_id, world.cards[0], "a"))
    await _book(pg_engine, _request(world.doctor_id, world.cards[1], "b"))
    request = _request(world.doctor_id, world.cards[2], "c", index=2)
    clock = make_clock()
    async with UnitOfWork(pg_engine) as uow:
        repo = PgSchedulingRepository(uow.connection)
        found = await repo.lock_session_and_state(
            request.doctor_id,
            request.day,
            request.period,
            period_index=2,
            card_id=request.card_id,
            channel=request.channel,
            key="c",
            waitlist_id=None,
            now=clock.now(),
            since=DAY - timedelta(days=200),
        )
        assert found is not None
        session, state = found
        assert state is not None
        # An offer to a waiting patient appears after the state was read.
        await uow.connection.execute(
            sa.text(
                "INSERT INTO waitlist_entries (session_id, patient_id, card_id, channel, "
                "status, period_index, offer_expires_at, created_at) "
                "VALUES (:s, :p, :c, 'web', 'offered', 2, :until, :now)"
            ),
            {
                "s": session.id,
                "p": world.patients[0],
                "c": world.cards[0],
                "until": clock.now() + timedelta(hours=1),
                "now": clock.now(),
            },
        )
        values = {
            "session": session.id,
            "patient": state.patient_id,
            "card": request.card_id,
            "department": session.department_id,
            "day": session.day,
            "period_index": 2,
            "starts": session.starts_at,
            "ends": session.ends_at,
            "channel": "web",
            "fee": session.registration_fee,
            "key": "c",
            "staff": None,
            "waitlist": None,
            "now": clock.now(),
        }

        async def charge() -> object:
            return await repo.charge_and_insert_booking(
                values, entry_key="booking:c", reason="fee", today=DAY, max_active=5, state=state
            )

        assert await charge() is None
        # Without the offer the same state books.
        await uow.connection.execute(sa.text("DELETE FROM waitlist_entries"))
        assert await charge() is not None


async def test_a_connection_the_server_closed_is_not_handed_out(pg_engine: AsyncEngine) -> None:
    world = await build_world(pg_engine, patients=2, capacity=40)
    await _book(pg_engine, _request(world.doctor_id, world.cards[0], "before"))
    url = pg_engine.url.render_as_string(hide_password=False)
    other = create_async_engine(url, poolclass=NullPool)
    async with other.connect() as conn:
        ended = await conn.scalar(
            sa.text(
                "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    await other.dispose()
    assert ended  # the pooled connection's backend is gone
    await asyncio.sleep(0.2)  # the driver hears the socket close
    await _book(pg_engine, _request(world.doctor_id, world.cards[1], "after"))
