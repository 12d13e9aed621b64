"""The agent desk's use cases: the screen pop (audited) and the actions during a call."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from careline.acd import service
from careline.acd.model import AcdError
from careline.acd.service import CallerHistory
from careline.db.uow import UnitOfWork
from careline.kit.clock import Clock
from careline.staff.audit import record_access

if TYPE_CHECKING:
    from careline.scheduling.model import BookingPolicy

MAX_MATCHES = 3
PERIODS = ("morning", "afternoon", "evening")


@dataclass(frozen=True, slots=True)
class ScreenPop:
    """What the agent sees when a call rings: the caller, matching patients, IVR, history."""

    call_id: str
    queue: str
    caller: str
    patients: list[Any] = field(default_factory=list)
    ivr_path: tuple[str, ...] = ()
    language: str = "zh-CN"
    history: CallerHistory = field(default_factory=CallerHistory)


async def build_screen_pop(
    uow: UnitOfWork,
    *,
    staff_id: int,
    call_id: str,
    queue: str,
    caller: str,
    patient_id: int | None,
    ivr_path: tuple[str, ...],
    language: str,
) -> ScreenPop:
    """Find the caller's patient records (each read audited) and their history."""
    from careline.patients import service as patients

    found: list[Any] = []
    if patient_id is not None:
        found.extend(await patients.list_patients(uow, patient_ids=[patient_id]))
    if caller and any(ch.isdigit() for ch in caller):
        page = await patients.search_patients(uow, query=caller[:32], limit=MAX_MATCHES)
        found.extend(p for p in page.items if all(p.id != q.id for q in found))
    found = found[:MAX_MATCHES]
    for patient in found:
        await record_access(
            uow.connection,
            staff_id=staff_id,
            action="read",
            subject="patient",
            subject_id=patient.id,
            context=f"screen pop /desk/ws call {call_id[:60]}",
        )
    history = await service.caller_history(uow, caller=caller, patient_ids=[p.id for p in found])
    await uow.commit()
    return ScreenPop(call_id, queue, caller, found, ivr_path, language, history)


async def register_caller(
    uow: UnitOfWork, *, staff_id: int, name: str, phone: str, gender: str, clock: Clock
) -> Any:
    """Register a new patient from the desk with the caller's number."""
    from careline.patients import service as patients
    from careline.patients.validation import PatientInput

    data = PatientInput(name=name, gender=gender, phones=[(phone, "mobile")])
    return await patients.register_patient(
        uow,
        data=data,
        staff_id=staff_id,
        confirmed_new=True,
        context="POST /desk/patients",
        clock=clock,
    )


async def open_desk_ticket(
    uow: UnitOfWork,
    *,
    staff_id: int,
    subject: str,
    body: str,
    patient_id: int | None,
    phone: str,
    clock: Clock,
) -> Any:
    """Open a complaint ticket for the caller, first contact by this agent."""
    from careline.complaints import service as complaints
    from careline.complaints.model import TicketDraft, TicketKind, TicketSource

    draft = TicketDraft(
        kind=TicketKind.COMPLAINT,
        source=TicketSource.DESK,
        subject=subject,
        body=body,
        patient_id=patient_id,
        contact_phone=phone or None,
        first_contact_staff_id=staff_id,
    )
    return await complaints.open_ticket(uow, draft=draft, clock=clock)


async def send_desk_sms(uow: UnitOfWork, *, to: str, text: str, clock: Clock) -> Any:
    """Queue an SMS to the caller through the channels context."""
    from careline.channels import service as channels

    return await channels.queue_sms(uow, to=to, text=text, clock=clock)


class NoMemberCard(AcdError):
    status_code = 409
    error_id = "acd_no_member_card"


class NotThisPatient(AcdError):
    status_code = 409
    error_id = "acd_not_this_patient"


@dataclass(frozen=True, slots=True)
class DeskBooking:
    """What the agent chose in the pop's booking form."""

    patient_id: int
    doctor_id: int
    day: date
    period: str
    period_index: int
    request_key: str


async def book_for_caller(
    uow: UnitOfWork, *, staff_id: int, booking: DeskBooking, clock: Clock, policy: BookingPolicy
) -> Any:
    """Book for the patient on their member card through the agent channel (audited)."""
    from careline.directory.model import SessionPeriod
    from careline.membership import service as membership
    from careline.membership.model import CardStatus
    from careline.scheduling import service as scheduling
    from careline.scheduling.model import Channel

    cards = await membership.cards_of_patient(uow, patient_id=booking.patient_id)
    card = next((c for c in cards if c.status == CardStatus.ACTIVE), None)
    if card is None:
        raise NoMemberCard("The patient has no active member card to book with.")
    await _audit_write(uow, staff_id, booking.patient_id, "POST /desk/bookings")
    request = scheduling.BookingRequest(
        doctor_id=booking.doctor_id,
        day=booking.day,
        period=SessionPeriod(booking.period),
        period_index=booking.period_index,
        card_id=card.id,
        channel=Channel.AGENT,
        idempotency_key=f"desk:{booking.request_key}"[:90],
        staff_id=staff_id,
    )
    return await scheduling.book_appointment(uow, request=request, clock=clock, policy=policy)


async def cancel_for_caller(
    uow: UnitOfWork,
    *,
    staff_id: int,
    patient_id: int,
    booking_id: int,
    clock: Clock,
    policy: BookingPolicy,
) -> Any:
    """Cancel one of the patient's bookings (refunded to their card), audited."""
    from careline.scheduling import service as scheduling

    found = await scheduling.get_booking(uow, booking_id=booking_id)
    if found.patient_id != patient_id:
        raise NotThisPatient("This booking belongs to another patient.")
    await _audit_write(uow, staff_id, patient_id, f"POST /desk/bookings/{booking_id}/cancel")
    return await scheduling.cancel_booking(uow, booking_id=booking_id, clock=clock, policy=policy)


async def _audit_write(uow: UnitOfWork, staff_id: int, patient_id: int, context: str) -> None:
    await record_access(
        uow.connection,
        staff_id=staff_id,
        action="write",
        subject="patient",
        subject_id=patient_id,
        context=context,
    )
