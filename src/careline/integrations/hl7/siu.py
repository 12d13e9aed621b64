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
from careline.directory.model import DirectoryNotFound, Doctor
from careline.integrations import service
from careline.integrations.booking_sync import HisBookingRules, booking_request
from careline.integrations.hl7.adt import identifiers
from careline.integrations.hl7.messages import (
    INTERNAL_ERROR,
    REQUIRED_FIELD_MISSING,
    UNKNOWN_KEY,
    Hl7Message,
    app_error,
    parse_ts,
    rejected,
)
from careline.scheduling import clinic
from careline.scheduling import service as scheduling
from careline.scheduling.availability import free_periods
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
    uow: UnitOfWork,
    msg: Hl7Message,
    rules: HisBookingRules,
    key: str,
    doctor_id: int | None = None,
) -> BookingRequest:
    patient_id = await service.find_patient(uow, identifiers=identifiers(msg, "PID", 3))
    if patient_id is None:
        raise app_error(UNKNOWN_KEY, "The patient is not known to Careline.")
    if doctor_id is None:
        doctor_id = (await _doctor_of(uow, msg)).id
    start = start_time(msg, zone_of(rules.clock))
    return await booking_request(
        uow, patient_id=patient_id, doctor_id=doctor_id, start=start, key=key, rules=rules
    )


async def _doctor_of(uow: UnitOfWork, msg: Hl7Message) -> Doctor:
    number = msg.value("AIP", 3)
    if not number:
        raise rejected(REQUIRED_FIELD_MISSING, "AIP-3 (the doctor's number) is empty.")
    try:
        return await directory.doctor_by_number(uow, doctor_number=number)
    except DirectoryNotFound as exc:
        raise app_error(UNKNOWN_KEY, "The doctor is not known to Careline.") from exc


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
    """Apply S13/S14: move the booking to the new time, doctor or department.

    AIP-3 names the doctor and AIL-3 the department; either may be left out to keep the
    booking's. The old place is given up only once the new one is taken: a full period,
    or a doctor outside the named department, is refused (AE) and nothing changes.
    """
    number, booking_id = await _known_booking(uow, msg)
    booking = await scheduling.get_booking(uow, booking_id=booking_id)
    current = await scheduling.get_session(uow, session_id=booking.session_id)
    zone = zone_of(rules.clock)
    start = start_time(msg, zone)
    doctor_id = await _wanted_doctor(uow, msg, current.doctor_id, start, zone)
    same_time = booking.period_starts_at <= start < booking.period_ends_at
    if same_time and doctor_id == current.doctor_id:
        return
    request = await _request(uow, msg, rules, f"his:{number}:{msg.header.control_id}", doctor_id)
    await _check_room(uow, request, rules)
    if booking.status is BookingStatus.BOOKED:
        await scheduling.cancel_booking(
            uow, booking_id=booking_id, clock=rules.clock, policy=rules.cancel_policy
        )
    moved = await scheduling.book_appointment(
        uow, request=request, clock=rules.clock, policy=rules.policy
    )
    await service.relink_booking(uow, his_id=number, booking_id=moved.id)


async def _check_room(uow: UnitOfWork, request: BookingRequest, rules: HisBookingRules) -> None:
    """Refuse a move to a period without a free place before the old place is given up.

    Cancelling commits (the refund), so the new period is checked first; a place taken by
    someone else between this check and the booking still leaves the booking cancelled.
    """
    sessions = await free_periods(
        uow,
        clock=rules.clock,
        channel=rules.channel,
        doctor_id=request.doctor_id,
        first_day=request.day,
        policy=rules.policy,
    )
    session = next(
        (s for s in sessions if s.day == request.day and s.period == request.period), None
    )
    views = (
        [v for v in session.periods if v.period.index == request.period_index] if session else []
    )
    if session is None or session.cancelled or not views or views[0].free <= 0:
        raise app_error(INTERNAL_ERROR, "The new period has no free place for the HIS.")


def _department_text(msg: Hl7Message) -> str:
    """AIL-3: the facility component (as Careline sends it), else the point of care."""
    return msg.value("AIL", 3, comp=4) or msg.value("AIL", 3)


async def _wanted_doctor(
    uow: UnitOfWork, msg: Hl7Message, current_id: int, start: datetime, zone: ZoneInfo
) -> int:
    """The doctor the message asks for: AIP-3, else the current one, checked against AIL-3."""
    named = msg.value("AIP", 3)
    doctor = await _doctor_of(uow, msg) if named else None
    text = _department_text(msg)
    if not text:
        return doctor.id if doctor else current_id
    department = next(
        (
            d
            for d in await directory.list_departments(uow)
            if text in (d.name_zh, d.name_en, str(d.id))
        ),
        None,
    )
    if department is None:
        raise app_error(UNKNOWN_KEY, "The department is not known to Careline.")
    if doctor is not None:
        if doctor.department_id != department.id:
            raise app_error(
                INTERNAL_ERROR, "The doctor does not work in the department the message names."
            )
        return doctor.id
    keep = await directory.get_doctor(uow, doctor_id=current_id, include_inactive=True)
    if keep.department_id == department.id:
        return current_id
    return await _doctor_in(uow, department.id, start, zone)


async def _doctor_in(uow: UnitOfWork, department_id: int, start: datetime, zone: ZoneInfo) -> int:
    """The first doctor (by number) of the department whose clinic is open at ``start``."""
    doctors = await directory.list_doctors(uow, department_id=department_id)
    for doctor in sorted(doctors, key=lambda d: d.doctor_number):
        sessions = await directory.doctor_sessions(
            uow, doctor_id=doctor.id, first_day=start.astimezone(zone).date(), zone=zone, days=1
        )
        if any(s.starts_at <= start < s.ends_at for s in sessions):
            return doctor.id
    raise app_error(INTERNAL_ERROR, "No doctor of that department has a clinic at that time.")


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
