"""Booking and cancelling for the caller from the desk's screen pop."""

from __future__ import annotations

import secrets
from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from careline.acd import desk
from careline.acd.pages import Agent
from careline.kit.errors import CarelineError
from careline.scheduling.endpoints import Policy
from careline.web.deps import AppClock, Lang, Uow
from careline.web.i18n import gettext

pages = APIRouter(include_in_schema=False)


def _refused(lang: str, message: str, status_code: int) -> JSONResponse:
    return JSONResponse({"ok": False, "message": gettext(lang, message)}, status_code)


def _number(value: str) -> int | None:
    return int(value) if value.strip().isdigit() else None


def request_key() -> str:
    """A fresh key for one booking form: a resubmitted form books once."""
    return secrets.token_urlsafe(12)


def _booking_choice(form: dict[str, str]) -> desk.DeskBooking | None:
    """The booking form's fields, or None when one is missing or malformed."""
    patient_id, doctor_id = _number(form.get("patient_id", "")), _number(form.get("doctor_id", ""))
    index = _number(form.get("period_index", "0") or "0")
    period = form.get("period", "")
    try:
        day = date.fromisoformat(form.get("day", ""))
    except ValueError:
        return None
    if patient_id is None or doctor_id is None or index is None or period not in desk.PERIODS:
        return None
    key = form.get("key", "") or request_key()
    return desk.DeskBooking(patient_id, doctor_id, day, period, index, key)


@pages.post("/desk/bookings")
async def book(
    request: Request, uow: Uow, staff: Agent, clock: AppClock, policy: Policy, lang: Lang
) -> JSONResponse:
    """Book a clinic place for the caller's patient on their member card."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    choice = _booking_choice(form)
    if choice is None:
        return _refused(lang, "Choose the patient, doctor, day and clinic session.", 422)
    try:
        booking = await desk.book_for_caller(
            uow, staff_id=staff.id, booking=choice, clock=clock, policy=policy
        )
    except CarelineError as exc:
        return _refused(lang, exc.message, exc.status_code)
    message = gettext(lang, "Booked: queue number {number}.").format(number=booking.queue_number)
    return JSONResponse({"ok": True, "message": message, "booking_id": booking.id})


@pages.post("/desk/bookings/{booking_id}/cancel")
async def cancel(
    request: Request,
    booking_id: int,
    uow: Uow,
    staff: Agent,
    clock: AppClock,
    policy: Policy,
    lang: Lang,
) -> JSONResponse:
    """Cancel one of the caller's patient's bookings; the fee goes back to the card."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    patient_id = _number(form.get("patient_id", ""))
    if patient_id is None:
        return _refused(lang, "Choose the patient, doctor, day and clinic session.", 422)
    try:
        await desk.cancel_for_caller(
            uow,
            staff_id=staff.id,
            patient_id=patient_id,
            booking_id=booking_id,
            clock=clock,
            policy=policy,
        )
    except CarelineError as exc:
        return _refused(lang, exc.message, exc.status_code)
    return JSONResponse({"ok": True, "message": gettext(lang, "Booking cancelled.")})
