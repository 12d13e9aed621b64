"""Pydantic shapes of the scheduling REST API (fees in integer fen)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from careline.directory.model import SessionPeriod
from careline.scheduling.model import (
    Booking,
    BookingSession,
    BookingStatus,
    Channel,
    PeriodPlaces,
    SessionAvailability,
)


class PeriodRead(BaseModel):
    index: int
    starts_at: datetime
    ends_at: datetime
    free: int


class SessionRead(BaseModel):
    doctor_id: int
    department_id: int
    day: date
    period: str
    registration_fee: int
    cancelled: bool
    cancel_note: str
    free: int
    periods: list[PeriodRead]


class BookingCreate(BaseModel):
    card_number: str
    doctor_id: int
    day: date
    period: SessionPeriod
    period_index: int = Field(ge=0)
    channel: Channel = Channel.AGENT
    idempotency_key: str = Field(min_length=1, max_length=100)
    waitlist_id: int | None = None


class BookingRead(BaseModel):
    id: int
    session_id: int
    patient_id: int
    doctor_id: int | None = None
    day: date
    queue_number: int
    period_starts_at: datetime
    period_ends_at: datetime
    channel: Channel
    status: BookingStatus
    fee: int


class SessionStop(BaseModel):
    doctor_id: int
    day: date
    period: SessionPeriod
    reason: str = Field(min_length=1, max_length=200)


class PeriodCapacitySet(BaseModel):
    """The places of one dated booking period (0 closes it to new bookings)."""

    doctor_id: int
    day: date
    period: SessionPeriod
    period_index: int
    capacity: int
    reason: str = Field(min_length=1, max_length=200)


class PeriodPlacesRead(BaseModel):
    index: int
    starts_at: datetime
    ends_at: datetime
    capacity: int
    taken: int


class SessionPlacesRead(BaseModel):
    session_id: int
    doctor_id: int
    department_id: int
    day: date
    period: str
    capacity: int
    stopped: bool
    periods: list[PeriodPlacesRead]


class WaitlistCreate(BaseModel):
    card_number: str
    doctor_id: int
    day: date
    period: SessionPeriod
    channel: Channel = Channel.AGENT


class WaitlistRead(BaseModel):
    id: int
    session_id: int
    status: str


def session_read(view: SessionAvailability) -> SessionRead:
    return SessionRead(
        doctor_id=view.doctor_id,
        department_id=view.department_id,
        day=view.day,
        period=view.period,
        registration_fee=view.registration_fee,
        cancelled=view.cancelled,
        cancel_note=view.cancel_note,
        free=view.free,
        periods=[
            PeriodRead(
                index=p.period.index,
                starts_at=p.period.starts_at,
                ends_at=p.period.ends_at,
                free=p.free,
            )
            for p in view.periods
        ],
    )


def booking_read(booking: Booking) -> BookingRead:
    return BookingRead(
        id=booking.id,
        session_id=booking.session_id,
        patient_id=booking.patient_id,
        day=booking.day,
        queue_number=booking.queue_number,
        period_starts_at=booking.period_starts_at,
        period_ends_at=booking.period_ends_at,
        channel=booking.channel,
        status=booking.status,
        fee=booking.fee,
    )


def session_places_read(session: BookingSession, places: list[PeriodPlaces]) -> SessionPlacesRead:
    return SessionPlacesRead(
        session_id=session.id,
        doctor_id=session.doctor_id,
        department_id=session.department_id,
        day=session.day,
        period=session.period,
        capacity=session.capacity,
        stopped=session.stopped,
        periods=[
            PeriodPlacesRead(
                index=p.period.index,
                starts_at=p.period.starts_at,
                ends_at=p.period.ends_at,
                capacity=p.period.capacity,
                taken=p.taken,
            )
            for p in places
        ],
    )
