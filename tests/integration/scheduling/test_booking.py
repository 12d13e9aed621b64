"""Booking rules end to end on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.db.uow import UnitOfWork
from careline.directory import admin
from careline.directory.model import ExceptionKind, ScheduleException, SessionPeriod
from careline.kit.clock import FakeClock
from careline.membership import service as membership
from careline.patients.repository import PatientRepository
from careline.scheduling import clinic
from careline.scheduling.availability import free_periods
from careline.scheduling.model import (
    Booking,
    BookingBlocked,
    BookingPolicy,
    BookingStatus,
    CancelDeadlinePassed,
    Channel,
    DuplicateBooking,
    OutsideWindow,
    RealNameRequired,
    SessionCancelled,
    SessionFull,
    TooManyBookings,
)
from careline.scheduling.service import BookingRequest, book_appointment, cancel_booking
from tests.integration.scheduling.world import FEE, World, build_world, make_clock

pytestmark = pytest.mark.asyncio
OPEN = BookingPolicy(pool_release_days_before=30)  # every channel may take every place
_keys = itertools.count(1)
DAY = date(2026, 11, 27)  # Friday, inside the window of START


def request(
    world: World,
    card: int,
    *,
    day: date = DAY,
    index: int = 0,
    doctor: int = 0,
    channel: Channel = Channel.WEB,
    key: str = "",
) -> BookingRequest:
    return BookingRequest(
        doctor_id=doctor or world.doctor_id,
        day=day,
        period=SessionPeriod.MORNING,
        period_index=index,
        card_id=card,
        channel=channel,
        idempotency_key=key or f"k{next(_keys)}",
    )


async def book(
    engine: AsyncEngine,
    req: BookingRequest,
    clock: FakeClock | None = None,
    policy: BookingPolicy = OPEN,
) -> Booking:
    async with UnitOfWork(engine) as uow:
        return await book_appointment(uow, request=req, clock=clock or make_clock(), policy=policy)


async def balance(engine: AsyncEngine, card: int) -> int:
    async with UnitOfWork(engine) as uow:
        return await membership.card_balance(uow, card_id=card)


async def test_booking_charges_the_fee_and_gives_queue_numbers_in_order(
    any_engine: AsyncEngine,
) -> None:
    world = await build_world(any_engine, patients=2)
    first = await book(any_engine, request(world, world.cards[0], index=3))
    second = await book(any_engine, request(world, world.cards[1], index=0))
    assert (first.queue_number, second.queue_number) == (1, 2)
    assert first.period_starts_at == datetime(2026, 11, 27, 1, 30, tzinfo=UTC)  # 09:30 local
    assert first.fee == FEE
    assert await balance(any_engine, world.cards[0]) == 200_00 - FEE


async def test_same_key_books_and_charges_once(any_engine: AsyncEngine) -> None:
    world = await build_world(any_engine, patients=1)
    req = request(world, world.cards[0], key="same")
    first = await book(any_engine, req)
    again = await book(any_engine, req)
    assert first.id == again.id
    assert await balance(any_engine, world.cards[0]) == 200_00 - FEE


async def test_one_booking_per_department_per_day(any_engine: AsyncEngine) -> None:
    world = await build_world(any_engine, patients=1)
    await book(any_engine, request(world, world.cards[0]))
    with pytest.raises(DuplicateBooking, match="department"):
        await book(any_engine, request(world, world.cards[0], doctor=world.second_doctor_id))
    await book(any_engine, request(world, world.cards[0], day=date(2026, 11, 28)))


async def test_at_most_n_open_bookings(any_engine: AsyncEngine) -> None:
    world = await build_world(any_engine, patients=1)
    policy = BookingPolicy(pool_release_days_before=30, max_active_bookings=2)
    await book(any_engine, request(world, world.cards[0], day=date(2026, 11, 27)), policy=policy)
    await book(any_engine, request(world, world.cards[0], day=date(2026, 11, 28)), policy=policy)
    with pytest.raises(TooManyBookings, match="At most 2"):
        await book(
            any_engine, request(world, world.cards[0], day=date(2026, 11, 29)), policy=policy
        )


async def test_real_name_is_required(any_engine: AsyncEngine) -> None:
    world = await build_world(any_engine, patients=1)
    async with any_engine.begin() as conn:
        await conn.execute(sa.text("UPDATE patients SET id_number = NULL"))
    with pytest.raises(RealNameRequired):
        await book(any_engine, request(world, world.cards[0]))
    assert await balance(any_engine, world.cards[0]) == 200_00


async def test_full_period_is_refused_and_not_charged(any_engine: AsyncEngine) -> None:
    world = await build_world(any_engine, patients=3, capacity=8)  # one place per period
    await book(any_engine, request(world, world.cards[0], index=2))
    with pytest.raises(SessionFull):
        await book(any_engine, request(world, world.cards[1], index=2))
    assert await balance(any_engine, world.cards[1]) == 200_00


async def test_channel_pool_is_kept_until_release(any_engine: AsyncEngine) -> None:
    world = await build_world(any_engine, patients=2, capacity=80)  # 10 per period
    shares = {Channel.PHONE: 0.9, Channel.WEB: 0.1}
    policy = BookingPolicy(pool_shares=shares)
    await book(any_engine, request(world, world.cards[0]), policy=policy)
    with pytest.raises(SessionFull):
        await book(any_engine, request(world, world.cards[1]), policy=policy)
    # The day before at 17:00 local (09:00 UTC) every place is open to every channel.
    late = FakeClock(datetime(2026, 11, 26, 9, 0, tzinfo=UTC))
    await book(any_engine, request(world, world.cards[1]), clock=late, policy=policy)


async def test_booking_window_opens_at_seven(any_engine: AsyncEngine) -> None:
    world = await build_world(any_engine, patients=1)
    before = FakeClock(datetime(2026, 11, 24, 22, 59, tzinfo=UTC))  # 06:59 local on the 25th
    with pytest.raises(OutsideWindow):
        await book(any_engine, request(world, world.cards[0], day=date(2026, 12, 2)), clock=before)
    after = FakeClock(datetime(2026, 11, 24, 23, 0, tzinfo=UTC))
    booking = await book(
        any_engine, request(world, world.cards[0], day=date(2026, 12, 2)), clock=after
    )
    assert booking.day == date(2026, 12, 2)


async def test_public_holiday_has_no_clinic(any_engine: AsyncEngine) -> None:
    clock = FakeClock(datetime(2026, 12, 28, 1, 0, tzinfo=UTC))
    world = await build_world(any_engine, patients=1, clock=clock)
    with pytest.raises(SessionCancelled):
        await book(any_engine, request(world, world.cards[0], day=date(2027, 1, 1)), clock=clock)
    async with UnitOfWork(any_engine) as uow:
        listed = await free_periods(
            uow, clock=clock, channel=Channel.WEB, doctor_id=world.doctor_id, policy=OPEN
        )
    by_day = {s.day: s for s in listed}
    assert by_day[date(2027, 1, 1)].cancelled
    assert by_day[date(2027, 1, 1)].free == 0
    assert by_day[date(2026, 12, 31)].free == 16


async def test_doctor_on_leave_has_no_clinic(any_engine: AsyncEngine) -> None:
    world = await build_world(any_engine, patients=1)
    async with UnitOfWork(any_engine) as uow:
        await admin.add_exception(
            uow,
            exception=ScheduleException(
                kind=ExceptionKind.LEAVE, first_day=DAY, last_day=DAY, doctor_id=world.doctor_id
            ),
        )
    with pytest.raises(SessionCancelled):
        await book(any_engine, request(world, world.cards[0]))


async def test_cancel_before_deadline_refunds(any_engine: AsyncEngine) -> None:
    world = await build_world(any_engine, patients=1)
    booking = await book(any_engine, request(world, world.cards[0]))
    # 16:59 local the day before is still in time.
    clock = FakeClock(datetime(2026, 11, 26, 8, 59, tzinfo=UTC))
    async with UnitOfWork(any_engine) as uow:
        cancelled = await cancel_booking(
            uow, booking_id=booking.id, clock=clock, card_id=world.cards[0]
        )
    assert cancelled.status is BookingStatus.CANCELLED
    assert await balance(any_engine, world.cards[0]) == 200_00


async def test_cancel_after_deadline_is_refused_with_the_deadline(any_engine: AsyncEngine) -> None:
    world = await build_world(any_engine, patients=1)
    booking = await book(any_engine, request(world, world.cards[0]))
    clock = FakeClock(datetime(2026, 11, 26, 9, 0, 1, tzinfo=UTC))
    async with UnitOfWork(any_engine) as uow:
        with pytest.raises(CancelDeadlinePassed, match="2026-11-26 17:00"):
            await cancel_booking(uow, booking_id=booking.id, clock=clock)
    assert await balance(any_engine, world.cards[0]) == 200_00 - FEE


async def test_stopped_clinic_refunds_and_notifies_everyone(any_engine: AsyncEngine) -> None:
    world = await build_world(any_engine, patients=2)
    for card in world.cards:
        await book(any_engine, request(world, card))
    async with UnitOfWork(any_engine) as uow:
        stopped = await clinic.stop_session(
            uow,
            doctor_id=world.doctor_id,
            day=DAY,
            period=SessionPeriod.MORNING,
            reason="会议",
            clock=make_clock(),
        )
    assert {b.status for b in stopped} == {BookingStatus.STOPPED}
    for card in world.cards:
        assert await balance(any_engine, card) == 200_00
    async with any_engine.connect() as conn:
        texts = (await conn.execute(sa.text("SELECT recipient, body FROM channel_messages"))).all()
    assert len(texts) == 2
    assert all("停诊" in body for _, body in texts)
    with pytest.raises(SessionCancelled):
        await book(any_engine, request(world, world.cards[0]))


async def test_three_no_shows_block_booking(any_engine: AsyncEngine) -> None:
    world = await build_world(any_engine, patients=1)
    for day in (date(2026, 11, 26), date(2026, 11, 27), date(2026, 11, 28)):
        booking = await book(any_engine, request(world, world.cards[0], day=day))
        late = FakeClock(datetime.combine(day, datetime.min.time(), tzinfo=UTC).replace(hour=5))
        async with UnitOfWork(any_engine) as uow:
            await clinic.mark_no_show(uow, booking_id=booking.id, clock=late)
    with pytest.raises(BookingBlocked, match="2026-12-28"):
        await book(any_engine, request(world, world.cards[0], day=date(2026, 11, 30)))


async def test_freed_place_is_offered_to_the_first_waiter(any_engine: AsyncEngine) -> None:
    from careline.scheduling.waitlist import expire_offers, join_waitlist

    world = await build_world(any_engine, patients=3, capacity=8)
    taken = await book(any_engine, request(world, world.cards[0]))
    async with UnitOfWork(any_engine) as uow:
        first = await join_waitlist(
            uow,
            session_id=taken.session_id,
            card_id=world.cards[1],
            channel=Channel.WEB,
            clock=make_clock(),
        )
        await join_waitlist(
            uow,
            session_id=taken.session_id,
            card_id=world.cards[2],
            channel=Channel.WEB,
            clock=make_clock(),
        )
        await cancel_booking(uow, booking_id=taken.id, clock=make_clock(), policy=OPEN)
    # The place is held: the third patient cannot take it, the first waiter can.
    with pytest.raises(SessionFull):
        await book(any_engine, request(world, world.cards[2]))
    held = replace(request(world, world.cards[1]), waitlist_id=first.id)
    booking = await book(any_engine, held)
    assert booking.queue_number == 2
    async with any_engine.connect() as conn:
        sms = (await conn.execute(sa.text("SELECT body FROM channel_messages"))).scalars().all()
    assert any("候补" in body for body in sms)
    async with UnitOfWork(any_engine) as uow:
        assert await expire_offers(uow, clock=make_clock(), policy=OPEN) == []


async def test_agent_books_for_patient_with_staff_recorded(any_engine: AsyncEngine) -> None:
    world = await build_world(any_engine, patients=1)
    async with UnitOfWork(any_engine) as uow:
        patient = await PatientRepository(uow.connection).get(world.patients[0])
    assert patient is not None
    booking = await book(any_engine, request(world, world.cards[0], channel=Channel.AGENT))
    assert booking.channel is Channel.AGENT


async def test_unclaimed_offer_passes_to_the_next_waiter(any_engine: AsyncEngine) -> None:
    from careline.scheduling.waitlist import expire_offers, join_waitlist

    world = await build_world(any_engine, patients=3, capacity=8)
    taken = await book(any_engine, request(world, world.cards[0]))
    async with UnitOfWork(any_engine) as uow:
        for card in world.cards[1:]:
            await join_waitlist(
                uow,
                session_id=taken.session_id,
                card_id=card,
                channel=Channel.WEB,
                clock=make_clock(),
            )
        await cancel_booking(uow, booking_id=taken.id, clock=make_clock(), policy=OPEN)
        later = make_clock()
        later.advance(OPEN.offer_hold_minutes * 60 + 1)
        passed = await expire_offers(uow, clock=later, policy=OPEN)
    assert [entry.card_id for entry in passed] == [world.cards[2]]
    # The first waiter's hold is gone: the place now waits for the second one only.
    with pytest.raises(SessionFull):
        await book(any_engine, request(world, world.cards[1]), clock=later)


async def test_no_show_cannot_be_recorded_before_the_appointment(any_engine: AsyncEngine) -> None:
    from careline.scheduling.model import NotCancellable

    world = await build_world(any_engine, patients=1)
    booking = await book(any_engine, request(world, world.cards[0]))
    async with UnitOfWork(any_engine) as uow:
        with pytest.raises(NotCancellable, match="once the appointment time has begun"):
            await clinic.mark_no_show(uow, booking_id=booking.id, clock=make_clock())


async def test_department_search_lists_every_doctor(any_engine: AsyncEngine) -> None:
    world = await build_world(any_engine, patients=1)
    await book(any_engine, request(world, world.cards[0], index=0))
    async with UnitOfWork(any_engine) as uow:
        listed = await free_periods(
            uow,
            clock=make_clock(),
            channel=Channel.WEB,
            department_id=world.department_id,
            policy=OPEN,
        )
    friday = [s for s in listed if s.day == DAY]
    assert {s.doctor_id for s in friday} == {world.doctor_id, world.second_doctor_id}
    mine = next(s for s in friday if s.doctor_id == world.doctor_id)
    assert mine.periods[0].free == 1
    assert mine.free == 15
