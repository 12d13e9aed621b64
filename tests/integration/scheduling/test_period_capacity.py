"""One dated period's places: set, closed and reopened under the session lock, on SQLite
and PostgreSQL (whose booking path reads the session through asyncpg)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.db.uow import UnitOfWork
from careline.directory.model import SessionPeriod
from careline.kit.errors import CarelineError
from careline.scheduling import clinic
from careline.scheduling.availability import free_periods
from careline.scheduling.model import (
    Booking,
    BookingPolicy,
    BookingSession,
    BookingStatus,
    CapacityBelowTaken,
    Channel,
    InvalidCapacity,
    PeriodOutOfRange,
    SessionCancelled,
    SessionFull,
)
from careline.scheduling.service import BookingRequest, book_appointment, find_session, get_booking
from careline.staff.audit import access_history
from tests.integration.scheduling.world import World, build_world, make_clock

pytestmark = pytest.mark.asyncio
DAY = date(2026, 11, 27)  # a Friday; its morning clinic is 08:00-12:00, 8 periods of 2 places
POLICY = BookingPolicy(pool_release_days_before=30)  # every channel may take any place


async def _book(engine: AsyncEngine, world: World, card: int, index: int) -> Booking:
    request = BookingRequest(
        doctor_id=world.doctor_id,
        day=DAY,
        period=SessionPeriod.MORNING,
        period_index=index,
        card_id=card,
        channel=Channel.WEB,
        idempotency_key=f"k-{card}-{index}",
    )
    async with UnitOfWork(engine) as uow:
        return await book_appointment(uow, request=request, clock=make_clock(), policy=POLICY)


async def _set(
    engine: AsyncEngine, world: World, index: int, capacity: int, staff_id: int | None = None
) -> BookingSession:
    async with UnitOfWork(engine) as uow:
        return await clinic.change_period_places(
            uow,
            doctor_id=world.doctor_id,
            day=DAY,
            period=SessionPeriod.MORNING,
            period_index=index,
            rule=clinic.places_set_to(capacity),
            reason="Extra nurse on duty",
            clock=make_clock(),
            policy=POLICY,
            staff_id=staff_id,
        )


async def _stored(engine: AsyncEngine, world: World) -> BookingSession | None:
    async with UnitOfWork(engine) as uow:
        return await find_session(
            uow, doctor_id=world.doctor_id, day=DAY, period=SessionPeriod.MORNING
        )


async def _fill(engine: AsyncEngine, world: World, cards: list[int], index: int) -> int:
    """Book one card after another into the period; return how many got a place."""
    booked = 0
    for card in cards:
        try:
            await _book(engine, world, card, index)
        except SessionFull:
            continue
        booked += 1
    return booked


async def test_a_period_takes_exactly_the_places_set_for_it(any_engine: AsyncEngine) -> None:
    world = await build_world(any_engine, patients=5)
    session = await _set(any_engine, world, 1, 3)
    assert [p.capacity for p in session.periods(POLICY)] == [2, 3, 2, 2, 2, 2, 2, 2]
    assert session.capacity == 17  # kept equal to the sum: every capacity read stays right
    # On PostgreSQL the second booking on stores the session's counts and later ones take
    # the counted fast path: the session row they lock carries the period's places.
    assert await _fill(any_engine, world, world.cards[:4], 1) == 3
    assert await _fill(any_engine, world, world.cards[4:], 0) == 1  # other periods as before
    async with UnitOfWork(any_engine) as uow:
        (view,) = [
            s
            for s in await free_periods(
                uow,
                clock=make_clock(),
                channel=Channel.PHONE,
                doctor_id=world.doctor_id,
                first_day=DAY,
                policy=POLICY,
            )
            if s.day == DAY
        ]
    assert [(p.period.capacity, p.free) for p in view.periods[:3]] == [(2, 1), (3, 0), (2, 2)]


async def test_closing_keeps_the_bookings_and_refuses_new_ones(any_engine: AsyncEngine) -> None:
    world = await build_world(any_engine, patients=3)
    kept = await _book(any_engine, world, world.cards[0], 2)
    async with UnitOfWork(any_engine) as uow:
        closed = await clinic.change_period_places(
            uow,
            rule=clinic.close_period,
            doctor_id=world.doctor_id,
            day=DAY,
            period=SessionPeriod.MORNING,
            period_index=2,
            reason="Room closed",
            clock=make_clock(),
            policy=POLICY,
        )
    assert closed.periods(POLICY)[2].capacity == 1
    with pytest.raises(SessionFull):
        await _book(any_engine, world, world.cards[1], 2)
    async with UnitOfWork(any_engine) as uow:
        assert (await get_booking(uow, booking_id=kept.id)).status is BookingStatus.BOOKED
        places = await clinic.period_places(uow, session=closed, policy=POLICY)
    assert [(p.period.capacity, p.taken) for p in places[1:4]] == [(2, 0), (1, 1), (2, 0)]


async def test_a_closed_period_reopens_with_one_place(engine: AsyncEngine) -> None:
    world = await build_world(engine, patients=2)
    await _set(engine, world, 0, 0)
    with pytest.raises(SessionFull):
        await _book(engine, world, world.cards[0], 0)
    async with UnitOfWork(engine) as uow:
        reopened = await clinic.change_period_places(
            uow,
            rule=clinic.reopen_period,
            doctor_id=world.doctor_id,
            day=DAY,
            period=SessionPeriod.MORNING,
            period_index=0,
            reason="Room back",
            clock=make_clock(),
            policy=POLICY,
        )
        # A period that has places keeps them.
        same = await clinic.change_period_places(
            uow,
            rule=clinic.reopen_period,
            doctor_id=world.doctor_id,
            day=DAY,
            period=SessionPeriod.MORNING,
            period_index=1,
            reason="Room back",
            clock=make_clock(),
            policy=POLICY,
        )
    assert [p.capacity for p in reopened.periods(POLICY)][:2] == [1, 2]
    assert same.period_capacities == reopened.period_capacities
    assert await _fill(engine, world, world.cards, 0) == 1


async def _refused(engine: AsyncEngine, world: World, index: int, capacity: int) -> CarelineError:
    with pytest.raises(CarelineError) as refused:
        await _set(engine, world, index, capacity)
    return refused.value


async def test_refusals_leave_the_session_as_it_was(any_engine: AsyncEngine) -> None:
    world = await build_world(any_engine, patients=2)
    await _book(any_engine, world, world.cards[0], 0)
    await _book(any_engine, world, world.cards[1], 0)
    below = await _refused(any_engine, world, 0, 1)
    assert isinstance(below, CapacityBelowTaken)
    assert below.status_code == 409
    assert below.message == "Places already booked in this period: 2. The capacity cannot be lower."
    negative = await _refused(any_engine, world, 0, -1)
    assert isinstance(negative, InvalidCapacity)
    assert negative.status_code == 422
    beyond = await _refused(any_engine, world, 8, 3)
    assert isinstance(beyond, PeriodOutOfRange)
    assert beyond.status_code == 422
    stored = await _stored(any_engine, world)
    assert stored is not None
    assert (stored.capacity, stored.period_capacities) == (16, None)
    async with UnitOfWork(any_engine) as uow:
        await clinic.stop_session(
            uow,
            doctor_id=world.doctor_id,
            day=DAY,
            period=SessionPeriod.MORNING,
            reason="Doctor ill",
            clock=make_clock(),
        )
    stopped = await _refused(any_engine, world, 3, 4)
    assert isinstance(stopped, SessionCancelled)
    assert stopped.status_code == 409
    after = await _stored(any_engine, world)
    assert after is not None
    assert (after.capacity, after.period_capacities) == (16, None)


async def test_the_change_and_its_reason_are_audited(engine: AsyncEngine) -> None:
    world = await build_world(engine, patients=1)
    session = await _set(engine, world, 4, 5)
    unchanged = await _set(engine, world, 4, 5)  # the same places again: nothing to record
    assert unchanged.period_capacities == session.period_capacities == (2, 2, 2, 2, 5, 2, 2, 2)
    async with engine.connect() as conn:
        rows = await access_history(conn, subject="booking_session", subject_id=session.id)
    assert [(r["action"], r["staff_id"], r["context"]) for r in rows] == [
        ("write", None, "period 4: 2 -> 5 places; Extra nurse on duty")
    ]
