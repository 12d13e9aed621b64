"""SIU messages: S12 new booking, S13 reschedule, S14 modify, S15 cancel, S26 no-show.

The HIS's appointment number is SCH-2 (filler id), or SCH-1 (placer id) when SCH-2 is
empty. A booking made from the HIS carries the idempotency key ``his:<number>`` so it is
never taken twice and is not echoed back to the HIS. The fee is charged to the patient's
active member card like any booking, from the channel's pool (``his_booking_channel``,
the window by default); a patient without an active card gets AE.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from careline.db.uow import UnitOfWork
from careline.directory import service as directory
from careline.directory.model import DirectoryNotFound
from careline.integrations import service
from careline.integrations.booking_sync import HisBookingRules, booking_request
from careline.integrations.hl7.adt import identifiers
from careline.integrations.hl7.messages import (
    REQUIRED_FIELD_MISSING,
    UNKNOWN_KEY,
    Hl7Message,
    app_error,
    parse_ts,
    rejected,
)
from careline.scheduling import clinic
from careline.scheduling import service as scheduling
from careline.scheduling.model import BookingStatus
from careline.scheduling.service import BookingRequest, zone_of


def appointment_number(msg: Hl7Message) -> str:
    """Return the HIS's appointment number (SCH-2.1, else SCH-1.1)."""
    number = msg.value("SCH", 2) or msg.value("SCH", 1)
    if not number:
        raise rejected(REQUIRED_FIELD_MISSING, "SCH-1 and SCH-2 (appointment number) are empty.")
    return number


def start_time(msg: Hl7Message, zone: ZoneInfo) -> datetime:
    """Return the start: AIS-4, else AIP-6, else SCH-11.4."""
    text = msg.value("AIS", 4) or msg.value("AIP", 6) or msg.value("SCH", 11, comp=4)
    if not text:
        raise rejected(REQUIRED_FIELD_MISSING, "The appointment has no start time (AIS-4).")
    return parse_ts(text, zone)


async def _request(
    uow: UnitOfWork, msg: Hl7Message, rules: HisBookingRules, key: str
) -> BookingRequest:
    patient_id = await service.find_patient(uow, identifiers=identifiers(msg, "PID", 3))
    if patient_id is None:
        raise app_error(UNKNOWN_KEY, "The patient is not known to Careline.")
    number = msg.value("AIP", 3)
    if not number:
        raise rejected(REQUIRED_FIELD_MISSING, "AIP-3 (the doctor's number) is empty.")
    try:
        doctor = await directory.doctor_by_number(uow, doctor_number=number)
    except DirectoryNotFound as exc:
        raise app_error(UNKNOWN_KEY, "The doctor is not known to Careline.") from exc
    start = start_time(msg, zone_of(rules.clock))
    return await booking_request(
        uow, patient_id=patient_id, doctor_id=doctor.id, start=start, key=key, rules=rules
    )


async def book(uow: UnitOfWork, msg: Hl7Message, rules: HisBookingRules) -> None:
    """Apply S12: take the place the HIS booked."""
    number = appointment_number(msg)
    if await service.booking_by_his_id(uow, his_id=number) is not None:
        return
    request = await _request(uow, msg, rules, f"his:{number}")
    booking = await scheduling.book_appointment(
        uow, request=request, clock=rules.clock, policy=rules.policy
    )
    await service.link_booking(uow, booking_id=booking.id, his_id=number)


async def _known_booking(uow: UnitOfWork, msg: Hl7Message) -> tuple[str, int]:
    number = appointment_number(msg)
    booking_id = await service.booking_by_his_id(uow, his_id=number)
    if booking_id is None:
        raise app_error(UNKNOWN_KEY, "No booking is known under this appointment number.")
    return number, booking_id


async def reschedule(uow: UnitOfWork, msg: Hl7Message, rules: HisBookingRules) -> None:
    """Apply S13/S14: move the booking when the start time changed (cancel, then book)."""
    number, booking_id = await _known_booking(uow, msg)
    booking = await scheduling.get_booking(uow, booking_id=booking_id)
    if booking.period_starts_at <= start_time(msg, zone_of(rules.clock)) < booking.period_ends_at:
        return
    request = await _request(uow, msg, rules, f"his:{number}:{msg.header.control_id}")
    if booking.status is BookingStatus.BOOKED:
        await scheduling.cancel_booking(
            uow, booking_id=booking_id, clock=rules.clock, policy=rules.cancel_policy
        )
    moved = await scheduling.book_appointment(
        uow, request=request, clock=rules.clock, policy=rules.policy
    )
    await service.relink_booking(uow, his_id=number, booking_id=moved.id)


async def cancel(uow: UnitOfWork, msg: Hl7Message, rules: HisBookingRules) -> None:
    """Apply S15: cancel and refund (a booking already closed is left as it is)."""
    _number, booking_id = await _known_booking(uow, msg)
    booking = await scheduling.get_booking(uow, booking_id=booking_id)
    if booking.status is BookingStatus.BOOKED:
        await scheduling.cancel_booking(
            uow, booking_id=booking_id, clock=rules.clock, policy=rules.cancel_policy
        )


async def no_show(uow: UnitOfWork, msg: Hl7Message, rules: HisBookingRules) -> None:
    """Apply S26: record that the patient did not come."""
    _number, booking_id = await _known_booking(uow, msg)
    booking = await scheduling.get_booking(uow, booking_id=booking_id)
    if booking.status is not BookingStatus.NO_SHOW:
        await clinic.mark_no_show(
            uow, booking_id=booking_id, clock=rules.clock, policy=rules.policy
        )
