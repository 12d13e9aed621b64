"""Staff use cases on booked clinics: stop a session (停诊), mark no-shows and attendance."""

from __future__ import annotations

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
    BookingStatus,
    NotCancellable,
    WaitStatus,
)
from careline.scheduling.notify import tell_stopped
from careline.scheduling.repository import SchedulingRepository

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
