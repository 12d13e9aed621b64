"""The booking rules a patient and a period must pass, as pure checks over what was read.

``service.book_appointment`` reads the locked session and card state in one trip and
runs these in order; they raise the refusal the patient is told.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo

from careline.kit.resident_id import is_well_formed
from careline.scheduling.model import (
    BookingBlocked,
    BookingPolicy,
    BookingSession,
    BookingState,
    BookingStatus,
    Channel,
    DuplicateBooking,
    Period,
    RealNameRequired,
    SessionFull,
    TooManyBookings,
    blocked_until,
    free_for_channel,
    pools_released,
)


def check_real_name(state: BookingState, today: date) -> None:
    """Refuse unless the card's owner is a registered patient with a valid resident ID."""
    number = state.id_number
    if state.merged or not number or not is_well_formed(number, today=today):
        raise RealNameRequired(
            "Booking needs a registered patient with a valid resident ID number."
        )


def check_history(
    history: list[tuple[str, date, int]],
    session: BookingSession,
    today: date,
    policy: BookingPolicy,
) -> None:
    """Refuse a blocked patient, a second booking per department and day, too many open."""
    no_shows = [day for status, day, _ in history if status == BookingStatus.NO_SHOW]
    until = blocked_until(policy, no_shows)
    if until is not None and today <= until:
        raise BookingBlocked(
            "Booking is blocked until {until} after {count} missed appointments.",
            until=until.isoformat(),
            count=str(policy.no_show_limit),
        )
    active = [
        (day, department)
        for status, day, department in history
        if status == BookingStatus.BOOKED and day >= today
    ]
    if (session.day, session.department_id) in active:
        raise DuplicateBooking("There is already a booking in this department on this day.")
    if len(active) >= policy.max_active_bookings:
        raise TooManyBookings(
            "At most {count} bookings may be open at the same time.",
            count=str(policy.max_active_bookings),
        )


def check_place(
    state: BookingState,
    session: BookingSession,
    period: Period,
    channel: Channel,
    now: datetime,
    zone: tzinfo,
    policy: BookingPolicy,
) -> None:
    """Refuse unless the period has a free place for the channel."""
    # A place offered to this very card is its own to take.
    held = state.held - 1 if state.own_offer else state.held
    released = pools_released(policy, session.day, now, zone)
    free = free_for_channel(
        period,
        channel,
        state.taken,
        state.taken_by_channel,
        policy=policy,
        released=released,
        held=held,
    )
    if free < 1:
        raise SessionFull("This time period is fully booked.")
