"""HTTP face of the scheduling context: the REST API for agents and the IVR.

Every route needs a staff bearer token. The portal's pages live in ``portal.py``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from careline.directory import service as directory
from careline.kit.errors import PermissionDenied
from careline.membership import service as membership
from careline.scheduling import clinic, service, waitlist
from careline.scheduling.availability import free_periods
from careline.scheduling.model import BookingPolicy, Channel, SessionNotFound
from careline.scheduling.portal import pages as pages
from careline.scheduling.schemas import (
    BookingCreate,
    BookingRead,
    PeriodCapacitySet,
    SessionPlacesRead,
    SessionRead,
    SessionStop,
    WaitlistCreate,
    WaitlistRead,
    booking_read,
    session_places_read,
    session_read,
)
from careline.staff.audit import record_access
from careline.staff.model import Role, StaffMember
from careline.web.deps import AppClock, Uow, require_staff

api = APIRouter(prefix="/api/v1/scheduling", tags=["scheduling"])
BOOKERS = (Role.AGENT, Role.SUPERVISOR, Role.ADMIN)
Booker = Annotated[StaffMember, Depends(require_staff(*BOOKERS))]
ClinicStaff = Annotated[
    StaffMember, Depends(require_staff(Role.AGENT, Role.DOCTOR, Role.SUPERVISOR, Role.ADMIN))
]
Stopper = Annotated[
    StaffMember, Depends(require_staff(Role.SUPERVISOR, Role.DEPARTMENT_HEAD, Role.ADMIN))
]
Planner = Annotated[StaffMember, Depends(require_staff(Role.DEPARTMENT_HEAD, Role.ADMIN))]


def booking_policy(request: Request) -> BookingPolicy:
    """Return the hospital's booking rules (``app.state.booking_policy``, else the defaults)."""
    found = getattr(request.app.state, "booking_policy", None)
    return found if isinstance(found, BookingPolicy) else service.DEFAULT_POLICY


Policy = Annotated[BookingPolicy, Depends(booking_policy)]


@api.get("/free-periods")
async def search_free_periods(
    uow: Uow,
    _staff: Booker,
    clock: AppClock,
    policy: Policy,
    doctor_id: int | None = None,
    department_id: int | None = None,
    first_day: date | None = None,
    channel: Channel = Channel.AGENT,
) -> list[SessionRead]:
    """List a doctor's or a department's sessions in the booking window with free places."""
    if doctor_id is None and department_id is None:
        raise SessionNotFound("Give a doctor or a department.", field="doctor_id")
    views = await free_periods(
        uow,
        clock=clock,
        channel=channel,
        doctor_id=doctor_id,
        department_id=department_id,
        first_day=first_day,
        policy=policy,
    )
    return [session_read(v) for v in views]


@api.post("/bookings", status_code=201)
async def book(
    body: BookingCreate, uow: Uow, staff: Booker, clock: AppClock, policy: Policy
) -> BookingRead:
    """Book on behalf of a member; the fee comes off their card. Same key, same booking."""
    card = await membership.find_card(uow, card_number=body.card_number)
    await record_access(
        uow.connection,
        staff_id=staff.id,
        action="write",
        subject="patient",
        subject_id=card.patient_id,
        context="api: book appointment",
    )
    request = service.BookingRequest(
        doctor_id=body.doctor_id,
        day=body.day,
        period=body.period,
        period_index=body.period_index,
        card_id=card.id,
        channel=body.channel,
        idempotency_key=body.idempotency_key,
        staff_id=staff.id,
        waitlist_id=body.waitlist_id,
    )
    booking = await service.book_appointment(uow, request=request, clock=clock, policy=policy)
    return booking_read(booking)


@api.get("/bookings/{booking_id}")
async def read_booking(booking_id: int, uow: Uow, staff: ClinicStaff) -> BookingRead:
    """Return one booking."""
    booking = await service.get_booking(uow, booking_id=booking_id)
    await record_access(
        uow.connection,
        staff_id=staff.id,
        action="read",
        subject="patient",
        subject_id=booking.patient_id,
        context="api: read booking",
    )
    await uow.commit()
    return booking_read(booking)


@api.post("/bookings/{booking_id}/cancel")
async def cancel(
    booking_id: int, uow: Uow, _staff: Booker, clock: AppClock, policy: Policy
) -> BookingRead:
    """Cancel before the deadline and refund the fee; after it, refused with the deadline."""
    booking = await service.cancel_booking(uow, booking_id=booking_id, clock=clock, policy=policy)
    return booking_read(booking)


@api.post("/bookings/{booking_id}/no-show")
async def no_show(booking_id: int, uow: Uow, _staff: ClinicStaff, clock: AppClock) -> BookingRead:
    """Record that the patient did not come."""
    return booking_read(await clinic.mark_no_show(uow, booking_id=booking_id, clock=clock))


@api.post("/bookings/{booking_id}/attended")
async def attended(booking_id: int, uow: Uow, _staff: ClinicStaff, clock: AppClock) -> BookingRead:
    """Record that the patient came."""
    return booking_read(await clinic.mark_attended(uow, booking_id=booking_id, clock=clock))


@api.post("/sessions/stop")
async def stop(body: SessionStop, uow: Uow, _staff: Stopper, clock: AppClock) -> list[BookingRead]:
    """Stop a clinic session (停诊): every booked patient is refunded and notified."""
    stopped = await clinic.stop_session(
        uow,
        doctor_id=body.doctor_id,
        day=body.day,
        period=body.period,
        reason=body.reason,
        clock=clock,
    )
    return [booking_read(b) for b in stopped]


@api.put("/sessions/period-capacity")
async def put_period_capacity(
    body: PeriodCapacitySet, uow: Uow, staff: Planner, clock: AppClock, policy: Policy
) -> SessionPlacesRead:
    """Set one dated period's places (admins; department heads in their own department)."""
    if Role.ADMIN not in staff.roles:
        doctor = await directory.get_doctor(uow, doctor_id=body.doctor_id, include_inactive=True)
        if doctor.department_id != staff.department_id:
            raise PermissionDenied("Only the clinics of your own department can be changed.")
    session = await clinic.change_period_places(
        uow,
        doctor_id=body.doctor_id,
        day=body.day,
        period=body.period,
        period_index=body.period_index,
        rule=clinic.places_set_to(body.capacity),
        reason=body.reason,
        clock=clock,
        policy=policy,
        staff_id=staff.id,
    )
    places = await clinic.period_places(uow, session=session, policy=policy)
    return session_places_read(session, places)


@api.post("/waitlist", status_code=201)
async def join(body: WaitlistCreate, uow: Uow, _staff: Booker, clock: AppClock) -> WaitlistRead:
    """Put a member on the waiting list of a full session."""
    card = await membership.find_card(uow, card_number=body.card_number)
    session = await service.ensure_session(
        uow, doctor_id=body.doctor_id, day=body.day, period=body.period, clock=clock
    )
    entry = await waitlist.join_waitlist(
        uow, session_id=session.id, card_id=card.id, channel=body.channel, clock=clock
    )
    return WaitlistRead(id=entry.id, session_id=entry.session_id, status=entry.status)
