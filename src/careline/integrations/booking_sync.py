"""Bookings the HIS makes (SIU S12, FHIR Appointment): the place behind a start time."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, time

from careline.db.uow import UnitOfWork
from careline.directory import service as directory
from careline.directory.sessions import ClinicSession
from careline.integrations.model import IntegrationError
from careline.kit.clock import Clock
from careline.membership import service as membership
from careline.membership.model import CardStatus
from careline.scheduling import service as scheduling
from careline.scheduling.model import BookingPolicy, Channel, Period, split_periods
from careline.scheduling.service import BookingRequest, zone_of


class NoClinicAtThisTime(IntegrationError):
    status_code = 404
    error_id = "his_no_clinic"

    def __init__(self) -> None:
        super().__init__("The doctor has no clinic at this time.")


class NoActiveCard(IntegrationError):
    status_code = 404
    error_id = "his_no_active_card"

    def __init__(self) -> None:
        super().__init__("The patient has no active member card.")


@dataclass(frozen=True, slots=True)
class HisBookingRules:
    """The booking rules and the channel whose pool bookings from the HIS take."""

    clock: Clock
    policy: BookingPolicy
    channel: Channel = Channel.WINDOW

    @property
    def cancel_policy(self) -> BookingPolicy:
        """The HIS's own cancellations are accepted until the end of the appointment's day."""
        return replace(self.policy, cancel_days_before=0, cancel_deadline_time=time(23, 59, 59))


async def clinic_period_at(
    uow: UnitOfWork, *, doctor_id: int, start: datetime, rules: HisBookingRules
) -> tuple[ClinicSession, Period]:
    """Return the doctor's clinic session and booking period that contain ``start``."""
    zone = zone_of(rules.clock)
    sessions = await directory.doctor_sessions(
        uow, doctor_id=doctor_id, first_day=start.astimezone(zone).date(), zone=zone, days=1
    )
    session = next((s for s in sessions if s.starts_at <= start < s.ends_at), None)
    if session is None:
        raise NoClinicAtThisTime()
    # Once stored, the session's own periods hold (with the places set for that day).
    stored = await scheduling.find_session(
        uow, doctor_id=doctor_id, day=session.day, period=session.period
    )
    periods = (
        stored.periods(rules.policy)
        if stored is not None
        else split_periods(
            session.starts_at, session.ends_at, session.capacity, rules.policy.period_minutes
        )
    )
    period = next((p for p in periods if p.starts_at <= start < p.ends_at), None)
    if period is None:
        raise NoClinicAtThisTime()
    return session, period


async def booking_request(
    uow: UnitOfWork,
    *,
    patient_id: int,
    doctor_id: int,
    start: datetime,
    key: str,
    rules: HisBookingRules,
) -> BookingRequest:
    """Return the booking request for the doctor's period that contains ``start``."""
    session, period = await clinic_period_at(uow, doctor_id=doctor_id, start=start, rules=rules)
    index = period.index
    cards = await membership.cards_of_patient(uow, patient_id=patient_id)
    card = next((c for c in cards if c.status is CardStatus.ACTIVE), None)
    if card is None:
        raise NoActiveCard()
    return BookingRequest(
        doctor_id=doctor_id,
        day=session.day,
        period=session.period,
        period_index=index,
        card_id=card.id,
        channel=rules.channel,
        idempotency_key=key[:90],
    )
