"""Booking use cases: free places, book (with the fee charged), cancel (with the refund).

Theory of operation: a booking takes two row locks in a fixed order, the session first
and then the member card, inside one transaction; every rule is checked after both locks
are held, so the counts it reads cannot change before the booking row and the charge are
written and committed together. Two patients racing for the last place run one after the
other; the second sees the place gone and is told the session is full.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError

from careline.db.uow import UnitOfWork
from careline.directory import service as directory
from careline.directory.model import SessionPeriod
from careline.directory.sessions import ClinicSession
from careline.kit.clock import Clock
from careline.kit.resident_id import InvalidResidentId, validate_resident_id
from careline.membership import service as membership
from careline.membership.model import CardNotActive, CardStatus, EntryKind, MemberCard
from careline.scheduling.gate import writer_gate
from careline.scheduling.model import (
    Booking,
    BookingBlocked,
    BookingNotFound,
    BookingPolicy,
    BookingSession,
    BookingStatus,
    CancelDeadlinePassed,
    Channel,
    DuplicateBooking,
    NotCancellable,
    Period,
    RealNameRequired,
    SessionCancelled,
    SessionFull,
    SessionNotFound,
    TooManyBookings,
    WaitlistEntry,
    blocked_until,
    cancel_deadline,
    check_window,
    free_places,
    pools_released,
)
from careline.scheduling.notify import tell_offer
from careline.scheduling.repository import SchedulingRepository
from careline.scheduling.waitlist import offer_freed_place

DEFAULT_POLICY = BookingPolicy()
MAX_KEY = 90  # the charge's ledger key adds a prefix to it
_SHANGHAI = ZoneInfo("Asia/Shanghai")


def zone_of(clock: Clock) -> ZoneInfo:
    """Return the hospital's zone as a ZoneInfo (the directory needs one)."""
    return clock.zone if isinstance(clock.zone, ZoneInfo) else _SHANGHAI


@dataclass(frozen=True, slots=True)
class BookingRequest:
    doctor_id: int
    day: date
    period: SessionPeriod
    period_index: int
    card_id: int
    channel: Channel
    idempotency_key: str
    staff_id: int | None = None
    waitlist_id: int | None = None


async def _clinic_session(
    uow: UnitOfWork, doctor_id: int, day: date, period: str, zone: ZoneInfo
) -> ClinicSession:
    sessions = await directory.doctor_sessions(
        uow, doctor_id=doctor_id, first_day=day, zone=zone, days=1
    )
    for session in sessions:
        if session.period == period:
            return session
    raise SessionNotFound("The doctor has no clinic at this time.", field="period")


async def ensure_session(
    uow: UnitOfWork, *, doctor_id: int, day: date, period: str, clock: Clock
) -> BookingSession:
    """Return the stored session, storing it from the directory's schedule the first time."""
    repo = SchedulingRepository(uow.connection)
    found = await repo.find_session(doctor_id, day, period)
    if found is not None:
        return found
    clinic = await _clinic_session(uow, doctor_id, day, period, zone_of(clock))
    if clinic.cancelled:
        raise SessionCancelled("This clinic session does not take place.", field="period")
    await repo.insert_session(
        {
            "doctor_id": doctor_id,
            "department_id": clinic.department_id,
            "day": day,
            "period": str(clinic.period),
            "starts_at": clinic.starts_at,
            "ends_at": clinic.ends_at,
            "capacity": clinic.capacity,
            "registration_fee": clinic.registration_fee,
            "stopped": False,
            "stop_reason": "",
        }
    )
    # Committed at once: holding SQLite's write lock while queueing at the writer gate
    # would deadlock with the writer in front.
    await uow.commit()
    stored = await repo.find_session(doctor_id, day, period)
    assert stored is not None
    return stored


async def book_appointment(
    uow: UnitOfWork,
    *,
    request: BookingRequest,
    clock: Clock,
    policy: BookingPolicy = DEFAULT_POLICY,
) -> Booking:
    """Take a place, give a queue number and charge the fee, all in one transaction.

    The same idempotency key again returns the first booking and charges nothing.
    """
    if not 0 < len(request.idempotency_key) <= MAX_KEY:
        raise DuplicateBooking("A booking needs a request key of at most 90 characters.")
    repo = SchedulingRepository(uow.connection)
    async with writer_gate(uow.connection):
        found = await repo.find_session(request.doctor_id, request.day, request.period)
        if found is None:
            found = await ensure_session(
                uow,
                doctor_id=request.doctor_id,
                day=request.day,
                period=request.period,
                clock=clock,
            )
        session = await repo.lock_session(found.id)
        card = await membership.lock_card(uow, card_id=request.card_id)
        # Checked under the locks: a retry with this key waits for the first attempt.
        earlier = await repo.booking_by_key(request.idempotency_key)
        if earlier is not None:
            return _same_request(earlier, request)
        if card.status is not CardStatus.ACTIVE:
            raise CardNotActive("This card is not active.", field="card_id")
        if session.stopped:
            raise SessionCancelled("This clinic session has been cancelled by the hospital.")
        period = _period(session, request.period_index, policy)
        now = clock.now()
        check_window(policy, period, now, clock.zone)
        await _check_patient(repo, card.patient_id, session, now, clock.zone, policy)
        await _check_place(repo, session, period, request, now, clock.zone, policy)
        return await _take_place(uow, repo, session, period, card, request, clock)


def _same_request(earlier: Booking, request: BookingRequest) -> Booking:
    if earlier.card_id != request.card_id:
        raise DuplicateBooking("This request key was already used for another booking.")
    return earlier


def _period(session: BookingSession, index: int, policy: BookingPolicy) -> Period:
    periods = session.periods(policy)
    if not 0 <= index < len(periods):
        raise SessionNotFound("There is no such time period in this session.", field="period")
    return periods[index]


async def _check_patient(
    repo: SchedulingRepository,
    patient_id: int,
    session: BookingSession,
    now: datetime,
    zone: tzinfo,
    policy: BookingPolicy,
) -> None:
    identity = await repo.patient_identity(patient_id)
    today = now.astimezone(zone).date()
    try:
        if identity is None or identity[1] or not identity[0]:
            raise InvalidResidentId("missing")
        validate_resident_id(identity[0], today=today)
    except InvalidResidentId:
        raise RealNameRequired(
            "Booking needs a registered patient with a valid resident ID number."
        ) from None
    history = await repo.bookings_of_patient(
        patient_id, since=today - timedelta(days=policy.no_show_window_days * 2)
    )
    no_shows = [b.day for b in history if b.status is BookingStatus.NO_SHOW]
    until = blocked_until(policy, no_shows)
    if until is not None and today <= until:
        raise BookingBlocked(
            "Booking is blocked until {until} after {count} missed appointments.",
            until=until.isoformat(),
            count=str(policy.no_show_limit),
        )
    active = [b for b in history if b.status is BookingStatus.BOOKED and b.day >= today]
    if any(b.day == session.day and b.department_id == session.department_id for b in active):
        raise DuplicateBooking("There is already a booking in this department on this day.")
    if len(active) >= policy.max_active_bookings:
        raise TooManyBookings(
            "At most {count} bookings may be open at the same time.",
            count=str(policy.max_active_bookings),
        )


async def _check_place(
    repo: SchedulingRepository,
    session: BookingSession,
    period: Period,
    request: BookingRequest,
    now: datetime,
    zone: tzinfo,
    policy: BookingPolicy,
) -> None:
    taken, held = await repo.period_load(session.id, period.index, now)
    if request.waitlist_id is not None:
        offer = await repo.get_waiter(request.waitlist_id)
        if (
            offer is not None
            and offer.card_id == request.card_id
            and offer.period_index == period.index
            and offer.offer_expires_at is not None
            and offer.offer_expires_at > now
        ):
            held -= 1
    released = pools_released(policy, session.day, now, zone)
    free = free_places(period, request.channel, taken, policy=policy, released=released, held=held)
    if free < 1:
        raise SessionFull("This time period is fully booked.")


async def _take_place(
    uow: UnitOfWork,
    repo: SchedulingRepository,
    session: BookingSession,
    period: Period,
    card: MemberCard,
    request: BookingRequest,
    clock: Clock,
) -> Booking:
    now = clock.now()
    entry_id: int | None = None
    if session.registration_fee > 0:
        entry = await membership.post_entry(
            uow,
            card_id=card.id,
            kind=EntryKind.CHARGE,
            amount=session.registration_fee,
            key=f"booking:{request.idempotency_key}",
            reason="Registration fee",
            clock=clock,
            staff_id=request.staff_id,
            commit=False,
            locked_card=card,
        )
        entry_id = entry.id
    try:
        booking = await repo.add_booking(
            {
                "session_id": session.id,
                "patient_id": card.patient_id,
                "card_id": card.id,
                "department_id": session.department_id,
                "day": session.day,
                "period_index": period.index,
                "period_starts_at": period.starts_at,
                "period_ends_at": period.ends_at,
                "channel": request.channel,
                "status": BookingStatus.BOOKED,
                "fee": session.registration_fee,
                "idempotency_key": request.idempotency_key,
                "charge_entry_id": entry_id,
                "staff_id": request.staff_id,
                "created_at": now,
            }
        )
    except IntegrityError:
        raise DuplicateBooking("This request key was already used for another booking.") from None
    if request.waitlist_id is not None:
        await repo.update_waiter(request.waitlist_id, status="booked", booking_id=booking.id)
    await uow.commit()
    return booking


async def get_booking(uow: UnitOfWork, *, booking_id: int) -> Booking:
    """Return one booking or raise BookingNotFound."""
    found = await SchedulingRepository(uow.connection).get_booking(booking_id)
    if found is None:
        raise BookingNotFound("No such booking.", field="booking_id")
    return found


async def bookings_of_patient(
    uow: UnitOfWork, *, patient_id: int, since: date | None = None
) -> list[Booking]:
    """Return a patient's bookings, by day."""
    return await SchedulingRepository(uow.connection).bookings_of_patient(patient_id, since=since)


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
    refund_id = await _refund(uow, booking, clock, reason="Cancelled booking")
    await repo.update_booking(
        booking.id,
        status=BookingStatus.CANCELLED,
        refund_entry_id=refund_id,
        closed_at=clock.now(),
    )
    offer = await offer_freed_place(uow, booking=booking, clock=clock, policy=policy)
    await uow.commit()
    return offer


async def _refund(uow: UnitOfWork, booking: Booking, clock: Clock, *, reason: str) -> int | None:
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


async def get_session(uow: UnitOfWork, *, session_id: int) -> BookingSession:
    """Return a stored session or raise SessionNotFound."""
    found = await SchedulingRepository(uow.connection).get_session(session_id)
    if found is None:
        raise SessionNotFound("No such clinic session.", field="session_id")
    return found
