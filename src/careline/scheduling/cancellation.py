"""Cancellation use case: a patient cancels a booking (退号) and the fee is refunded."""

from __future__ import annotations

from careline.db.uow import UnitOfWork
from careline.kit.clock import Clock
from careline.membership import service as membership
from careline.membership.model import EntryKind
from careline.scheduling.gate import writer_gate
from careline.scheduling.lookups import DEFAULT_POLICY, get_booking
from careline.scheduling.model import (
    Booking,
    BookingNotFound,
    BookingPolicy,
    BookingStatus,
    CancelDeadlinePassed,
    NotCancellable,
    WaitlistEntry,
    cancel_deadline,
)
from careline.scheduling.notify import tell_offer
from careline.scheduling.repository import SchedulingRepository
from careline.scheduling.waitlist import offer_freed_place


async def cancel_booking(
    uow: UnitOfWork,
    *,
    booking_id: int,
    clock: Clock,
    card_id: int | None = None,
    policy: BookingPolicy = DEFAULT_POLICY,
) -> Booking:
    """Cancel a booking (退号) before the deadline and refund its fee to the card.

    ``card_id``, when given, must be the card that booked (a patient cancelling their own).
    """
    repo = SchedulingRepository(uow.connection)
    booking = await get_booking(uow, booking_id=booking_id)
    if card_id is not None and booking.card_id != card_id:
        raise BookingNotFound("No such booking.", field="booking_id")
    async with writer_gate(uow.connection):
        await repo.lock_session(booking.session_id)
        offer = await _cancel_locked(uow, booking_id, clock, policy)
    if offer is not None:
        await tell_offer(uow, entry=offer, clock=clock)
    return await get_booking(uow, booking_id=booking_id)


async def _cancel_locked(
    uow: UnitOfWork, booking_id: int, clock: Clock, policy: BookingPolicy
) -> WaitlistEntry | None:
    repo = SchedulingRepository(uow.connection)
    booking = await get_booking(uow, booking_id=booking_id)
    if booking.status is not BookingStatus.BOOKED:
        raise NotCancellable("This booking is no longer open.")
    deadline = cancel_deadline(policy, booking.day, clock.zone)
    if clock.now() > deadline:
        local = deadline.astimezone(clock.zone)
        raise CancelDeadlinePassed(
            "Bookings for this day could be cancelled until {deadline}.",
            deadline=f"{local:%Y-%m-%d %H:%M}",
        )
    refund_id = await refund_fee(uow, booking, clock, reason="Cancelled booking")
    await repo.update_booking(
        booking.id,
        status=BookingStatus.CANCELLED,
        refund_entry_id=refund_id,
        closed_at=clock.now(),
    )
    offer = await offer_freed_place(uow, booking=booking, clock=clock, policy=policy)
    await uow.commit()
    return offer


async def refund_fee(uow: UnitOfWork, booking: Booking, clock: Clock, *, reason: str) -> int | None:
    """Post the refund of a booking's fee to its card; None when there was no fee."""
    if booking.fee <= 0:
        return None
    entry = await membership.post_entry(
        uow,
        card_id=booking.card_id,
        kind=EntryKind.REFUND,
        amount=booking.fee,
        key=f"refund:{booking.idempotency_key}",
        reason=reason,
        clock=clock,
        commit=False,
    )
    return entry.id
