"""Free places: the directory's sessions for some days with each period's free count."""

from __future__ import annotations

from datetime import date

from careline.db.uow import UnitOfWork
from careline.directory import service as directory
from careline.directory.sessions import ClinicSession
from careline.kit.clock import Clock
from careline.scheduling.lookups import DEFAULT_POLICY, zone_of
from careline.scheduling.model import (
    BookingPolicy,
    BookingSession,
    Channel,
    PeriodAvailability,
    SessionAvailability,
    free_places,
    last_bookable_day,
    pools_released,
    split_periods,
)
from careline.scheduling.repository import SchedulingRepository


async def free_periods(
    uow: UnitOfWork,
    *,
    clock: Clock,
    channel: Channel,
    department_id: int | None = None,
    doctor_id: int | None = None,
    first_day: date | None = None,
    policy: BookingPolicy = DEFAULT_POLICY,
) -> list[SessionAvailability]:
    """Return the sessions of a doctor or department inside the booking window."""
    zone = zone_of(clock)
    now = clock.now()
    start = max(first_day or clock.today(), clock.today())
    last = last_bookable_day(policy, now, zone)
    if start > last:
        return []
    days = (last - start).days + 1
    if doctor_id is not None:
        clinics = await directory.doctor_sessions(
            uow, doctor_id=doctor_id, first_day=start, zone=zone, days=days
        )
    elif department_id is not None:
        clinics = await directory.department_sessions(
            uow, department_id=department_id, first_day=start, zone=zone, days=days
        )
    else:
        raise ValueError("give a doctor or a department")
    repo = SchedulingRepository(uow.connection)
    stored = {
        (s.doctor_id, s.day, s.period): s
        for s in await repo.sessions_between(
            sorted({c.doctor_id for c in clinics}) or [0], start, last
        )
    }
    ids = [s.id for s in stored.values()]
    taken = await repo.taken(ids) if ids else {}
    held = await repo.held_offers(ids, now) if ids else {}
    result = []
    for clinic in clinics:
        session = stored.get((clinic.doctor_id, clinic.day, str(clinic.period)))
        result.append(_view(clinic, session, taken, held, channel, clock, policy))
    return result


def _view(
    clinic: ClinicSession,
    session: BookingSession | None,
    taken: dict[tuple[int, int], dict[Channel, int]],
    held: dict[tuple[int, int], int],
    channel: Channel,
    clock: Clock,
    policy: BookingPolicy,
) -> SessionAvailability:
    now = clock.now()
    fee = session.registration_fee if session else clinic.registration_fee
    cancelled = clinic.cancelled or (session is not None and session.stopped)
    note = session.stop_reason if session and session.stopped else clinic.cancel_note
    released = pools_released(policy, clinic.day, now, clock.zone)
    # A stored session's periods are the ones booked against, with the day's own places.
    split = (
        session.periods(policy)
        if session
        else split_periods(clinic.starts_at, clinic.ends_at, clinic.capacity, policy.period_minutes)
    )
    periods = []
    for period in split:
        key = (session.id if session else 0, period.index)
        free = 0
        if not cancelled and period.starts_at > now:
            free = free_places(
                period,
                channel,
                taken.get(key, {}),
                policy=policy,
                released=released,
                held=held.get(key, 0),
            )
        periods.append(PeriodAvailability(period, free))
    return SessionAvailability(
        doctor_id=clinic.doctor_id,
        department_id=clinic.department_id,
        day=clinic.day,
        period=str(clinic.period),
        starts_at=clinic.starts_at,
        ends_at=clinic.ends_at,
        registration_fee=fee,
        cancelled=cancelled,
        cancel_note=note,
        periods=periods,
    )
