"""The desk's "put through to a doctor for a phone consultation" (no number ever shown)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from careline.acd.consult import DoctorOption, consult_doctor_exists, consult_options
from careline.acd.pages import Agent, center_of
from careline.consultations.model import Availability
from careline.staff.audit import record_access
from careline.web.deps import AppClock, Lang, Uow
from careline.web.i18n import gettext

pages = APIRouter(include_in_schema=False)
AVAILABILITY_NAMES = {
    Availability.AVAILABLE: "Available now",
    Availability.BUSY: "On another call",
    Availability.OUTSIDE_HOURS: "Outside consultation hours",
    Availability.NOT_OFFERED: "No phone consultations",
}


def option_label(option: DoctorOption, lang: str) -> str:
    """The doctor's name and availability now, as the desk lists it."""
    status = gettext(lang, AVAILABILITY_NAMES[option.availability])
    if option.availability is Availability.OUTSIDE_HOURS and option.next_open_at:
        at = datetime.fromisoformat(option.next_open_at).strftime("%Y-%m-%d %H:%M")
        status = f"{status} ({gettext(lang, 'next')} {at})"
    return f"{option.name} - {status}"


@pages.get("/desk/consult-doctors")
async def consult_doctors(uow: Uow, _staff: Agent, clock: AppClock, lang: Lang) -> JSONResponse:
    """Doctors taking phone consultations, with their availability now (never a number)."""
    options = await consult_options(uow, clock=clock, language=lang)
    return JSONResponse(
        [
            {
                "doctor_id": o.doctor_id,
                "name": o.name,
                "availability": o.availability.value,
                "next_open_at": o.next_open_at,
                "label": option_label(o, lang),
            }
            for o in options
        ]
    )


def _refused(lang: str, message: str) -> JSONResponse:
    return JSONResponse({"ok": False, "message": gettext(lang, message)}, 409)


@pages.post("/desk/calls/{call_id}/consult")
async def put_through(
    request: Request, call_id: str, uow: Uow, staff: Agent, clock: AppClock, lang: Lang
) -> JSONResponse:
    """Release the agent and run the doctor's consultation sequence on the caller's call."""
    form = await request.form()
    chosen = form.get("doctor_id", "")
    doctor_id = int(chosen) if isinstance(chosen, str) and chosen.strip().isdigit() else None
    center = center_of(request.app)
    if center.state_of(staff.id).call_id != call_id:
        return _refused(lang, "This call is over.")
    if doctor_id is None or not await consult_doctor_exists(uow, doctor_id=doctor_id, clock=clock):
        return _refused(lang, "This doctor does not take phone consultations.")
    await record_access(
        uow.connection,
        staff_id=staff.id,
        action="transfer",
        subject="call",
        subject_id=call_id[:60],
        context=f"POST /desk/calls/{call_id[:60]}/consult doctor {doctor_id}",
    )
    await uow.commit()
    if not center.consult(call_id, doctor_id):
        return _refused(lang, "This call is over.")
    return JSONResponse(
        {"ok": True, "message": gettext(lang, "Put through to the doctor's consultation.")}
    )
