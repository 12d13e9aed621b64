"""Booking rules (pure): periods, number pools, the booking window, deadlines, no-shows.

A clinic session (a doctor's morning, afternoon or evening on one day) is split into
periods of ``period_minutes``; its capacity is spread over them, the first periods taking
the remainder. Each period's places are shared between channels by ``pool_shares`` with
the largest-remainder method, so the shares always add up to the period's capacity. From
``pool_release_days_before`` days before the clinic at ``pool_release_time`` the pools are
released: any channel may take any free place of the period.

Staff or the HIS may set one dated period's places (``period_capacities`` on the stored
session); the session's capacity is then the sum of its periods' places.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from careline.kit.errors import CarelineError


class Channel(StrEnum):
    PHONE = "phone"
    WEB = "web"
    EMAIL = "email"
    AGENT = "agent"
    WINDOW = "window"
    REFERRAL = "referral"


class BookingStatus(StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"  # by the patient (退号)
    STOPPED = "stopped"  # by the hospital (停诊)
    NO_SHOW = "no_show"
    ATTENDED = "attended"


class WaitStatus(StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"
    BOOKED = "booked"
    EXPIRED = "expired"


DEFAULT_SHARES: Mapping[Channel, float] = {
    Channel.PHONE: 0.3,
    Channel.WEB: 0.3,
    Channel.EMAIL: 0.1,
    Channel.AGENT: 0.1,
    Channel.WINDOW: 0.1,
    Channel.REFERRAL: 0.1,
}


@dataclass(frozen=True, slots=True)
class BookingPolicy:
    """Every booking rule a hospital may change, with common defaults."""

    period_minutes: int = 30
    pool_shares: Mapping[Channel, float] = field(default_factory=lambda: dict(DEFAULT_SHARES))
    pool_release_days_before: int = 1
    pool_release_time: time = time(17, 0)
    window_days: int = 7
    daily_release_time: time = time(7, 0)
    max_active_bookings: int = 5
    cancel_days_before: int = 1
    cancel_deadline_time: time = time(17, 0)
    no_show_limit: int = 3
    no_show_window_days: int = 90
    no_show_block_days: int = 30
    offer_hold_minutes: int = 30


class SchedulingError(CarelineError):
    """A refused booking; ``template`` is the catalog msgid, ``values`` fill its fields."""

    error_id = "scheduling_error"

    def __init__(self, message: str, *, field: str | None = None, **values: str) -> None:
        super().__init__(message.format(**values) if values else message, field=field)
        self.template = message
        self.values = values


class SessionNotFound(SchedulingError):
    status_code = 404
    error_id = "session_not_found"


class BookingNotFound(SchedulingError):
    status_code = 404
    error_id = "booking_not_found"


class SessionFull(SchedulingError):
    status_code = 409
    error_id = "session_full"


class SessionCancelled(SchedulingError):
    status_code = 409
    error_id = "session_cancelled"


class OutsideWindow(SchedulingError):
    status_code = 409
    error_id = "outside_booking_window"


class RealNameRequired(SchedulingError):
    status_code = 422
    error_id = "real_name_required"


class DuplicateBooking(SchedulingError):
    status_code = 409
    error_id = "duplicate_booking"


class TooManyBookings(SchedulingError):
    status_code = 409
    error_id = "too_many_bookings"


class BookingBlocked(SchedulingError):
    status_code = 403
    error_id = "booking_blocked"


class CancelDeadlinePassed(SchedulingError):
    status_code = 409
    error_id = "cancel_deadline_passed"


class NotCancellable(SchedulingError):
    status_code = 409
    error_id = "not_cancellable"


class OfferNotAvailable(SchedulingError):
    status_code = 409
    error_id = "offer_not_available"


class PeriodOutOfRange(SchedulingError):
    status_code = 422
    error_id = "period_out_of_range"


class InvalidCapacity(SchedulingError):
    status_code = 422
    error_id = "invalid_capacity"


class CapacityBelowTaken(SchedulingError):
    status_code = 409
    error_id = "capacity_below_taken"


@dataclass(frozen=True, slots=True)
class Period:
    index: int
    starts_at: datetime
    ends_at: datetime
    capacity: int


def split_periods(
    starts_at: datetime, ends_at: datetime, capacity: int, minutes: int
) -> list[Period]:
    """Split a session into periods of ``minutes`` (the last may be shorter)."""
    step = timedelta(minutes=minutes)
    bounds: list[tuple[datetime, datetime]] = []
    start = starts_at
    while start < ends_at:
        bounds.append((start, min(start + step, ends_at)))
        start += step
    if not bounds:
        return []
    base, extra = divmod(capacity, len(bounds))
    return [
        Period(i, begin, end, base + (1 if i < extra else 0))
        for i, (begin, end) in enumerate(bounds)
    ]


def pool_sizes(capacity: int, shares: Mapping[Channel, float]) -> dict[Channel, int]:
    """Split ``capacity`` between channels by ``shares`` (largest remainder, sums exactly)."""
    total = sum(shares.values()) or 1.0
    exact = {channel: capacity * share / total for channel, share in shares.items()}
    sizes = {channel: int(value) for channel, value in exact.items()}
    left = capacity - sum(sizes.values())
    order = sorted(exact, key=lambda c: (-(exact[c] - sizes[c]), list(Channel).index(c)))
    for channel in order[:left]:
        sizes[channel] += 1
    return {channel: sizes.get(channel, 0) for channel in Channel}


def pools_released(policy: BookingPolicy, day: date, now: datetime, zone: tzinfo) -> bool:
    """True once the channel pools of ``day`` are open to every channel."""
    release = datetime.combine(
        day - timedelta(days=policy.pool_release_days_before),
        policy.pool_release_time,
        tzinfo=zone,
    )
    return now >= release


def free_places(
    period: Period,
    channel: Channel,
    taken: Mapping[Channel, int],
    *,
    policy: BookingPolicy,
    released: bool,
    held: int = 0,
) -> int:
    """Return how many places of ``period`` the channel may still take.

    ``held`` places are offered to waiting patients and count as taken.
    """
    return free_for_channel(
        period,
        channel,
        sum(taken.values()),
        taken.get(channel, 0),
        policy=policy,
        released=released,
        held=held,
    )


def free_for_channel(
    period: Period,
    channel: Channel,
    taken: int,
    taken_by_channel: int,
    *,
    policy: BookingPolicy,
    released: bool,
    held: int = 0,
) -> int:
    """Like ``free_places``, from the period's total taken and the channel's own count."""
    left = period.capacity - taken - held
    if released:
        return max(left, 0)
    own = pool_sizes(period.capacity, policy.pool_shares).get(channel, 0)
    return max(min(own - taken_by_channel, left), 0)


def last_bookable_day(policy: BookingPolicy, now: datetime, zone: tzinfo) -> date:
    """Return the furthest day open for booking: the new day opens at the release time."""
    local = now.astimezone(zone)
    ahead = (
        policy.window_days if local.time() >= policy.daily_release_time else policy.window_days - 1
    )
    return local.date() + timedelta(days=ahead)


def check_window(policy: BookingPolicy, period: Period, now: datetime, zone: tzinfo) -> None:
    """Raise OutsideWindow unless the period is still ahead and inside the booking window."""
    if period.starts_at <= now:
        raise OutsideWindow("This time has already begun and can no longer be booked.")
    last = last_bookable_day(policy, now, zone)
    if period.starts_at.astimezone(zone).date() > last:
        raise OutsideWindow(
            "Booking opens {days} days ahead at {time} each day.",
            days=str(policy.window_days),
            time=f"{policy.daily_release_time:%H:%M}",
        )


def cancel_deadline(policy: BookingPolicy, day: date, zone: tzinfo) -> datetime:
    """Return the last moment a booking for ``day`` may be cancelled with a refund."""
    return datetime.combine(
        day - timedelta(days=policy.cancel_days_before), policy.cancel_deadline_time, tzinfo=zone
    )


def blocked_until(policy: BookingPolicy, no_show_days: Sequence[date]) -> date | None:
    """Return the last blocked day after too many no-shows, or None when never blocked."""
    days = sorted(no_show_days)
    limit = policy.no_show_limit
    until: date | None = None
    for i in range(limit - 1, len(days)):
        if (days[i] - days[i - limit + 1]).days < policy.no_show_window_days:
            end = days[i] + timedelta(days=policy.no_show_block_days)
            until = end if until is None or end > until else until
    return until


@dataclass(frozen=True, slots=True)
class BookingSession:
    """A clinic session as booked: the row bookings lock and count against."""

    id: int
    doctor_id: int
    department_id: int
    day: date
    period: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    registration_fee: int
    stopped: bool = False
    stop_reason: str = ""
    # Places per period set for this day; None: the even split of ``capacity``.
    period_capacities: tuple[int, ...] | None = None

    def periods(self, policy: BookingPolicy) -> list[Period]:
        """Return the session's periods with their places (the day's own, when set)."""
        periods = split_periods(self.starts_at, self.ends_at, self.capacity, policy.period_minutes)
        places = self.period_capacities
        # Set for another period length (the policy changed since): the even split holds.
        if places is None or len(places) != len(periods):
            return periods
        return [
            Period(p.index, p.starts_at, p.ends_at, n) for p, n in zip(periods, places, strict=True)
        ]


MAX_PERIOD_CAPACITY = 999


def new_period_capacities(
    periods: Sequence[Period], index: int, capacity: int, taken: int
) -> tuple[int, ...]:
    """Return every period's places with period ``index`` set to ``capacity``.

    ``taken`` is the places of that period held by bookings: fewer places are refused.
    """
    if not 0 <= index < len(periods):
        raise PeriodOutOfRange(
            "There is no such time period in this session.", field="period_index"
        )
    if not 0 <= capacity <= MAX_PERIOD_CAPACITY:
        raise InvalidCapacity("The number of places must be between 0 and 999.", field="capacity")
    if capacity < taken:
        raise CapacityBelowTaken(
            "Places already booked in this period: {taken}. The capacity cannot be lower.",
            field="capacity",
            taken=str(taken),
        )
    return tuple(capacity if p.index == index else p.capacity for p in periods)


@dataclass(frozen=True, slots=True)
class PeriodPlaces:
    """One period of a stored session: its places and how many bookings hold one."""

    period: Period
    taken: int


@dataclass(frozen=True, slots=True)
class BookingState:
    """What the booking rules read in one trip once the session (and card) are locked."""

    card_status: str
    patient_id: int
    balance: int  # fen, the card's cached balance
    id_number: str | None  # None when the patient record is missing
    merged: bool
    earlier_id: int | None  # the booking already made with this request key
    taken: int  # places of the period held by bookings
    taken_by_channel: int  # of which by the requesting channel
    held: int  # places of the period offered to waiting patients
    own_offer: bool  # one of the held places is offered to this card
    # (status, day, department) of the patient's recent bookings; ``history_current`` is
    # False when they were read before the card lock was granted (PostgreSQL).
    history: list[tuple[str, date, int]] = field(default_factory=list)
    history_current: bool = True


@dataclass(frozen=True, slots=True)
class Booking:
    id: int
    session_id: int
    patient_id: int
    card_id: int
    department_id: int
    day: date
    period_index: int
    period_starts_at: datetime
    period_ends_at: datetime
    queue_number: int
    channel: Channel
    status: BookingStatus
    fee: int
    idempotency_key: str
    charge_entry_id: int | None
    refund_entry_id: int | None
    staff_id: int | None
    created_at: datetime
    closed_at: datetime | None


@dataclass(frozen=True, slots=True)
class WaitlistEntry:
    id: int
    session_id: int
    patient_id: int
    card_id: int
    channel: Channel
    status: WaitStatus
    period_index: int | None
    offer_expires_at: datetime | None
    booking_id: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PeriodAvailability:
    period: Period
    free: int


@dataclass(frozen=True, slots=True)
class SessionAvailability:
    """One session of a doctor with its periods' free places for one channel."""

    doctor_id: int
    department_id: int
    day: date
    period: str
    starts_at: datetime
    ends_at: datetime
    registration_fee: int
    cancelled: bool
    cancel_note: str
    periods: list[PeriodAvailability]

    @property
    def free(self) -> int:
        return sum(p.free for p in self.periods)
