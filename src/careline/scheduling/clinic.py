"""Staff use cases on booked clinics: stop a session (停诊), set one dated period's places,
mark no-shows and attendance."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import structlog

from careline.db.uow import UnitOfWork
from careline.directory.model import SessionPeriod
from careline.kit.clock import Clock
from careline.scheduling.cancellation import refund_fee
from careline.scheduling.gate import writer_gate
from careline.scheduling.lookups import DEFAULT_POLICY, ensure_session, get_booking
from careline.scheduling.model import (
    Booking,
    BookingPolicy,
    BookingSession,
    BookingStatus,
    NotCancellable,
    PeriodPlaces,
    SessionCancelled,
    WaitStatus,
    new_period_capacities,
)
from careline.scheduling.notify import tell_stopped
from careline.scheduling.repository import SchedulingRepository
from careline.staff.audit import record_access

log = structlog.get_logger(__name__)


async def stop_session(
    uow: UnitOfWork,
    *,
    doctor_id: int,
    day: date,
    period: SessionPeriod,
    reason: str,
    clock: Clock,
) -> list[Booking]:
    """Cancel a doctor's session: refund and notify every booked patient; return them."""
    repo = SchedulingRepository(uow.connection)
    session = await ensure_session(uow, doctor_id=doctor_id, day=day, period=period, clock=clock)
    async with writer_gate(uow.connection):
        await repo.lock_session(session.id)
        await repo.stop_session(session.id, reason.strip()[:200])
        affected = await repo.bookings_of_session(session.id, BookingStatus.BOOKED)
        for booking in affected:
            refund_id = await refund_fee(
                uow, booking, clock, reason="Clinic cancelled by the hospital"
            )
            await repo.update_booking(
                booking.id,
                status=BookingStatus.STOPPED,
                refund_entry_id=refund_id,
                closed_at=clock.now(),
            )
        for waiter in await repo.waiters_of_session(session.id):
            await repo.update_waiter(waiter.id, status=WaitStatus.EXPIRED)
        await uow.commit()
    stopped = await repo.get_session(session.id)
    assert stopped is not None
    # Messages are queued after the refunds are committed: queueing commits on its own.
    for booking in affected:
        await tell_stopped(uow, booking=booking, session=stopped, clock=clock)
    log.info("scheduling.session_stopped", session_id=session.id, bookings=len(affected))
    return [await get_booking(uow, booking_id=b.id) for b in affected]


# How a dated period's places change: ``rule(current places, places booked)`` -> new places.
PlacesRule = Callable[[int, int], int]


def places_set_to(capacity: int) -> PlacesRule:
    """The period gets ``capacity`` places (never fewer than are booked: refused)."""
    return lambda _current, _taken: capacity


def close_period(_current: int, taken: int) -> int:
    """The period closes to new bookings: its places become those already booked."""
    return taken


def reopen_period(current: int, _taken: int) -> int:
    """A period without places gets one; a period with places keeps them."""
    return max(current, 1)


async def change_period_places(
    uow: UnitOfWork,
    *,
    doctor_id: int,
    day: date,
    period: SessionPeriod,
    period_index: int,
    rule: PlacesRule,
    reason: str,
    clock: Clock,
    policy: BookingPolicy = DEFAULT_POLICY,
    staff_id: int | None = None,
) -> BookingSession:
    """Set one dated period's places by ``rule``, under the lock a booking takes."""
    repo = SchedulingRepository(uow.connection)
    stored = await ensure_session(uow, doctor_id=doctor_id, day=day, period=period, clock=clock)
    async with writer_gate(uow.connection):
        session = await repo.lock_session(stored.id)
        if session.stopped:
            raise SessionCancelled("This clinic session has been cancelled by the hospital.")
        periods = session.periods(policy)
        index = period_index
        taken = sum((await repo.taken([session.id])).get((session.id, index), {}).values())
        current = periods[index].capacity if 0 <= index < len(periods) else 0
        places = new_period_capacities(periods, index, rule(current, taken), taken)
        if places != tuple(p.capacity for p in periods):
            await repo.set_period_capacities(session.id, places)
            # Who changed the places and why (the reason may be any text: kept, not logged).
            note = f"period {index}: {current} -> {places[index]} places; {reason.strip()}"
            await record_access(
                uow.connection,
                staff_id=staff_id,
                action="write",
                subject="booking_session",
                subject_id=session.id,
                context=note[:256],
            )
            log.info(
                "scheduling.period_capacity_set",
                session_id=session.id,
                period_index=index,
                capacity=places[index],
                taken=taken,
            )
        await uow.commit()  # also when unchanged: SQLite's write lock is given back
    changed = await repo.get_session(session.id)
    assert changed is not None
    return changed


async def period_places(
    uow: UnitOfWork, *, session: BookingSession, policy: BookingPolicy = DEFAULT_POLICY
) -> list[PeriodPlaces]:
    """Return the session's periods with their places and the places bookings hold."""
    taken = await SchedulingRepository(uow.connection).taken([session.id])
    return [
        PeriodPlaces(p, sum(taken.get((session.id, p.index), {}).values()))
        for p in session.periods(policy)
    ]


async def mark_no_show(
    uow: UnitOfWork,
    *,
    booking_id: int,
    clock: Clock,
    policy: BookingPolicy = DEFAULT_POLICY,  # noqa: ARG001 - kept for a late-arrival rule
) -> Booking:
    """Record that the patient did not come (爽约); only once the period has begun."""
    return await _close(uow, booking_id, BookingStatus.NO_SHOW, clock)


async def mark_attended(uow: UnitOfWork, *, booking_id: int, clock: Clock) -> Booking:
    """Record that the patient came."""
    return await _close(uow, booking_id, BookingStatus.ATTENDED, clock)


async def _close(uow: UnitOfWork, booking_id: int, status: BookingStatus, clock: Clock) -> Booking:
    booking = await get_booking(uow, booking_id=booking_id)
    if booking.status is not BookingStatus.BOOKED:
        raise NotCancellable("This booking is no longer open.")
    if status is BookingStatus.NO_SHOW and clock.now() < booking.period_starts_at:
        raise NotCancellable("A no-show can only be recorded once the appointment time has begun.")
    await SchedulingRepository(uow.connection).update_booking(
        booking_id, status=status, closed_at=clock.now()
    )
    await uow.commit()
    return await get_booking(uow, booking_id=booking_id)
