"""Stored clinic sessions and bookings: look them up, and store a session on first use."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from careline.db.uow import UnitOfWork
from careline.directory import service as directory
from careline.directory.sessions import ClinicSession
from careline.kit.clock import Clock
from careline.scheduling.model import (
    Booking,
    BookingNotFound,
    BookingPolicy,
    BookingSession,
    SessionCancelled,
    SessionNotFound,
)
from careline.scheduling.repository import SchedulingRepository

DEFAULT_POLICY = BookingPolicy()
_SHANGHAI = ZoneInfo("Asia/Shanghai")


def zone_of(clock: Clock) -> ZoneInfo:
    """Return the hospital's zone as a ZoneInfo (the directory needs one)."""
    return clock.zone if isinstance(clock.zone, ZoneInfo) else _SHANGHAI


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


async def find_session(
    uow: UnitOfWork, *, doctor_id: int, day: date, period: str
) -> BookingSession | None:
    """Return the stored session of a doctor's clinic, or None while nobody has booked it."""
    return await SchedulingRepository(uow.connection).find_session(doctor_id, day, period)


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


async def get_session(uow: UnitOfWork, *, session_id: int) -> BookingSession:
    """Return a stored session or raise SessionNotFound."""
    found = await SchedulingRepository(uow.connection).get_session(session_id)
    if found is None:
        raise SessionNotFound("No such clinic session.", field="session_id")
    return found
