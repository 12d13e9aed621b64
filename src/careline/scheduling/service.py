"""Booking use case: take a place and charge the fee; look-ups and cancellation re-exported.

Theory of operation: a booking takes two row locks in a fixed order, the session first
and then the member card, inside one transaction; every rule is checked after both locks
are held, so the counts it reads cannot change before the booking row and the charge are
written and committed together. Two patients racing for the last place run one after the
other; the second sees the place gone and is told the session is full.

On PostgreSQL a booking is two statements (see docs/appointments.md and
``pg_repository``): lock the session and the card and read everything the rules need,
with the place counts kept on the session row; then one statement that charges the
cached balance, appends the ledger entry, stores the new counts and inserts the booking.
What the first read in its earlier snapshot (the patient's bookings, a reused key,
places held for waiting patients) the second requires unchanged; if anything changed it
writes nothing, and the state is read afresh under both locks and decided again. SQLite
locks the session first, then reads (its write lock makes every read current) and writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

from sqlalchemy.exc import IntegrityError

from careline.db.uow import UnitOfWork
from careline.directory.model import SessionPeriod
from careline.kit.clock import Clock
from careline.membership import service as membership
from careline.membership.model import (
    CardNotActive,
    CardNotFound,
    CardStatus,
    IdempotencyConflict,
    InsufficientBalance,
)
from careline.scheduling.cancellation import cancel_booking
from careline.scheduling.gate import first_comer, writer_gate
from careline.scheduling.lookups import (
    DEFAULT_POLICY,
    bookings_of_patient,
    ensure_session,
    find_session,
    get_booking,
    get_session,
    zone_of,
)
from careline.scheduling.model import (
    Booking,
    BookingPolicy,
    BookingSession,
    BookingState,
    BookingStatus,
    Channel,
    DuplicateBooking,
    Period,
    SessionCancelled,
    SessionNotFound,
    check_window,
)
from careline.scheduling.pg_repository import booking_repository
from careline.scheduling.repository import SchedulingRepository
from careline.scheduling.rules import check_history, check_place, check_real_name

# This module is the context's booking API: callers across Careline reach the look-ups
# and the cancellation through it, so they are re-exported here on purpose.
__all__ = [
    "DEFAULT_POLICY",
    "FEE_REASON",
    "MAX_KEY",
    "BookingRequest",
    "book_appointment",
    "bookings_of_patient",
    "cancel_booking",
    "ensure_session",
    "find_session",
    "get_booking",
    "get_session",
    "zone_of",
]

MAX_KEY = 90  # the charge's ledger key adds a prefix to it
FEE_REASON = "Registration fee"


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
    repo = booking_repository(uow.connection)
    now = clock.now()
    today = now.astimezone(clock.zone).date()
    reads = _Reads(request, now, today - timedelta(days=policy.no_show_window_days * 2))
    async with writer_gate(uow.connection):
        # Read under the session lock (and, on PostgreSQL, with the card locked by it):
        # a retry with this key has waited for the first attempt to commit.
        session, state = await _locked_state(uow, repo, request, clock, reads)
        booking = await _book_locked(uow, repo, session, state, request, now, clock.zone, policy)
        if booking is None:
            # PostgreSQL: the charge found that something read in the snapshot before
            # the locks were granted has changed, or refused. Both locks are held now:
            # read afresh and decide again.
            state = await reads.state(repo, session.id)
            booking = await _book_locked(
                uow, repo, session, state, request, now, clock.zone, policy
            )
            if booking is None:
                assert state is not None
                await _recheck_history(repo, state, session, today, policy)
                raise InsufficientBalance("The card's balance is too low.", field="amount")
        await uow.commit()
        return booking


@dataclass(frozen=True, slots=True)
class _Reads:
    """What the locked read of a booking needs besides the session."""

    request: BookingRequest
    now: datetime
    since: date

    async def state(self, repo: SchedulingRepository, session_id: int) -> BookingState | None:
        request = self.request
        return await repo.booking_state(
            session_id=session_id,
            period_index=request.period_index,
            card_id=request.card_id,
            channel=request.channel,
            key=request.idempotency_key,
            waitlist_id=request.waitlist_id,
            now=self.now,
            since=self.since,
        )


async def _locked_state(
    uow: UnitOfWork,
    repo: SchedulingRepository,
    request: BookingRequest,
    clock: Clock,
    reads: _Reads,
) -> tuple[BookingSession, BookingState | None]:
    found = await repo.lock_session_and_state(
        request.doctor_id,
        request.day,
        request.period,
        period_index=request.period_index,
        card_id=request.card_id,
        channel=request.channel,
        key=request.idempotency_key,
        waitlist_id=request.waitlist_id,
        now=reads.now,
        since=reads.since,
    )
    if found is not None:
        return found
    # The first booking of a session stores it; racers for the same session wait here
    # rather than each reading the doctor's schedule again.
    where = (request.doctor_id, request.day, request.period)
    async with first_comer(uow.connection, "session", *where):
        stored = await ensure_session(
            uow, doctor_id=request.doctor_id, day=request.day, period=request.period, clock=clock
        )
    session = await repo.lock_session(stored.id)
    return session, await reads.state(repo, session.id)


async def _book_locked(
    uow: UnitOfWork,
    repo: SchedulingRepository,
    session: BookingSession,
    state: BookingState | None,
    request: BookingRequest,
    now: datetime,
    zone: tzinfo,
    policy: BookingPolicy,
) -> Booking | None:
    """Check every rule on what was read and book; None if PostgreSQL's charge refused."""
    today = now.astimezone(zone).date()
    if state is None:
        raise CardNotFound("No such card.", field="card_id")
    if state.earlier_id is not None:
        return _same_request(await get_booking(uow, booking_id=state.earlier_id), request)
    if state.card_status != CardStatus.ACTIVE:
        raise CardNotActive("This card is not active.", field="card_id")
    if session.stopped:
        raise SessionCancelled("This clinic session has been cancelled by the hospital.")
    period = _period(session, request.period_index, policy)
    check_window(policy, period, now, zone)
    check_real_name(state, today)
    check_history(state.history, session, today, policy)
    check_place(state, session, period, request.channel, now, zone, policy)
    return await _take_place(uow, repo, session, period, state, request, now, today, policy)


def _same_request(earlier: Booking, request: BookingRequest) -> Booking:
    if earlier.card_id != request.card_id:
        raise DuplicateBooking("This request key was already used for another booking.")
    return earlier


def _period(session: BookingSession, index: int, policy: BookingPolicy) -> Period:
    periods = session.periods(policy)
    if not 0 <= index < len(periods):
        raise SessionNotFound("There is no such time period in this session.", field="period")
    return periods[index]


async def _recheck_history(
    repo: SchedulingRepository,
    state: BookingState,
    session: BookingSession,
    today: date,
    policy: BookingPolicy,
) -> None:
    """Check the patient's limits again on a fresh read (the card is locked by now)."""
    since = today - timedelta(days=policy.no_show_window_days * 2)
    history = await repo.patient_history(state.patient_id, since)
    check_history(history, session, today, policy)


def _booking_values(
    session: BookingSession, period: Period, state: BookingState, request: BookingRequest
) -> dict[str, object]:
    return {
        "session": session.id,
        "patient": state.patient_id,
        "card": request.card_id,
        "department": session.department_id,
        "day": session.day,
        "period_index": period.index,
        "starts": period.starts_at,
        "ends": period.ends_at,
        "channel": request.channel.value,
        "fee": session.registration_fee,
        "key": request.idempotency_key,
        "staff": request.staff_id,
        "waitlist": request.waitlist_id,
    }


async def _take_place(
    uow: UnitOfWork,
    repo: SchedulingRepository,
    session: BookingSession,
    period: Period,
    state: BookingState,
    request: BookingRequest,
    now: datetime,
    today: date,
    policy: BookingPolicy,
) -> Booking | None:
    fee = session.registration_fee
    if fee > 0 and state.balance < fee:
        if not state.history_current:  # a limit, if one refuses, is the better answer
            await _recheck_history(repo, state, session, today, policy)
        raise InsufficientBalance("The card's balance is too low.", field="amount")
    values = {**_booking_values(session, period, state, request), "now": now}
    try:
        if fee > 0 and uow.dialect == "postgresql":
            made = await repo.charge_and_insert_booking(
                values,
                entry_key=f"booking:{request.idempotency_key}",
                reason=FEE_REASON,
                today=today,
                max_active=policy.max_active_bookings,
                state=state,
            )
            if made is None:
                return None
        else:
            if not state.history_current:
                await _recheck_history(repo, state, session, today, policy)
            made = await _charge_then_insert(uow, repo, values, request, fee, now)
    except IntegrityError as exc:
        if "ledger" in str(exc.orig):
            raise IdempotencyConflict(
                "This request key was already used for another entry."
            ) from None
        raise DuplicateBooking("This request key was already used for another booking.") from None
    if request.waitlist_id is not None:
        await repo.update_waiter(request.waitlist_id, status="booked", booking_id=made[0])
    return _made(made, session, period, state, request, now)


async def _charge_then_insert(
    uow: UnitOfWork,
    repo: SchedulingRepository,
    values: dict[str, object],
    request: BookingRequest,
    fee: int,
    now: datetime,
) -> tuple[int, int, int | None]:
    """The generic write: the guarded charge, its entry, then the booking."""
    entry_id = None
    if fee > 0:
        entry_id = await membership.charge_locked_card(
            uow,
            card_id=request.card_id,
            amount=fee,
            key=f"booking:{request.idempotency_key}",
            reason=FEE_REASON,
            staff_id=request.staff_id,
            now=now,
        )
    return await repo.insert_booking(values, entry_id=entry_id)


def _made(
    made: tuple[int, int, int | None],
    session: BookingSession,
    period: Period,
    state: BookingState,
    request: BookingRequest,
    now: datetime,
) -> Booking:
    booking_id, queue_number, entry_id = made
    return Booking(
        id=booking_id,
        session_id=session.id,
        patient_id=state.patient_id,
        card_id=request.card_id,
        department_id=session.department_id,
        day=session.day,
        period_index=period.index,
        period_starts_at=period.starts_at,
        period_ends_at=period.ends_at,
        queue_number=queue_number,
        channel=request.channel,
        status=BookingStatus.BOOKED,
        fee=session.registration_fee,
        idempotency_key=request.idempotency_key,
        charge_entry_id=entry_id,
        refund_entry_id=None,
        staff_id=request.staff_id,
        created_at=now.astimezone(UTC),
        closed_at=None,
    )
