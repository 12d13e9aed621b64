"""The doctor's consultation page: terms, hours, exceptions, private numbers, records.

The private numbers are shown masked; the form never echoes them back, so changing them
means typing the whole list again.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from careline.consultations import service
from careline.consultations.forms import (
    fee_text,
    format_windows,
    parse_exception,
    parse_settings,
    parse_windows,
)
from careline.consultations.model import Consultation, ConsultationError
from careline.directory import service as directory
from careline.kit.clock import Clock
from careline.kit.errors import PermissionDenied
from careline.kit.money import format_yuan
from careline.staff.audit import record_access
from careline.staff.model import Role, StaffMember
from careline.web.deps import AppClock, AppSettings, Lang, Uow, render, require_staff
from careline.web.i18n import gettext

pages = APIRouter(include_in_schema=False)
DoctorStaff = Annotated[StaffMember, Depends(require_staff(Role.DOCTOR))]
# Supervisors listen to consultations as they do to agents' calls.
ListenerStaff = Annotated[StaffMember, Depends(require_staff(Role.DOCTOR, Role.SUPERVISOR))]
OUTCOME_NAMES = {
    "ringing": "Ringing",
    "connected": "Talking",
    "completed": "Completed",
    "no_answer": "No answer",
    "declined": "Declined",
    "failed": "Failed",
}


def doctor_of(staff: StaffMember) -> int:
    """The doctor this account belongs to."""
    if staff.doctor_id is None:
        raise PermissionDenied("Your account is not linked to a doctor.")
    return staff.doctor_id


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


async def _page(
    request: Request,
    uow: Uow,
    doctor_id: int,
    clock: Clock,
    *,
    error: str = "",
    saved: bool = False,
    status_code: int = 200,
) -> HTMLResponse:
    settings = await service.get_settings(uow, doctor_id=doctor_id)
    context = {
        "settings": settings,
        "fee": fee_text(settings),
        "windows": format_windows(await service.get_windows(uow, doctor_id=doctor_id)),
        "exceptions": await service.list_exceptions(uow, doctor_id=doctor_id, clock=clock),
        "numbers": await service.masked_numbers(uow, doctor_id=doctor_id),
        "records": await service.list_consultations(uow, doctor_id=doctor_id),
        "outcomes": OUTCOME_NAMES,
        "yuan": format_yuan,
        "zone": clock.zone,
        "error": error,
        "saved": saved,
    }
    return render(request, "consultations/doctor.html", context, status_code=status_code)


def _supervises(staff: StaffMember) -> bool:
    return staff.has_any(Role.SUPERVISOR)


@pages.get("/doctor/consultations", response_class=HTMLResponse)
async def consult_page(
    request: Request, uow: Uow, staff: ListenerStaff, clock: AppClock, doctor: int | None = None
) -> HTMLResponse:
    if staff.doctor_id is not None and doctor is None:
        return await _page(request, uow, staff.doctor_id, clock)
    if not _supervises(staff):
        doctor_of(staff)  # a doctor's account without its doctor: refused
    return await _records_page(request, uow, clock, doctor)


async def _records_page(
    request: Request, uow: Uow, clock: Clock, doctor_id: int | None
) -> HTMLResponse:
    """Supervisors: the latest consultations (of one doctor or all) with their recordings."""
    if doctor_id is None:
        records = await service.latest_consultations(uow)
    else:
        records = await service.list_consultations(uow, doctor_id=doctor_id)
    names: dict[int, str] = {}
    for doctor_key in {r.doctor_id for r in records}:
        found = await directory.get_doctor(uow, doctor_id=doctor_key, include_inactive=True)
        names[doctor_key] = f"{found.name} ({found.doctor_number})"
    context = {
        "records": records,
        "doctors": names,
        "outcomes": OUTCOME_NAMES,
        "yuan": format_yuan,
        "zone": clock.zone,
    }
    return render(request, "consultations/records.html", context)


async def _audit_listen(uow: Uow, staff: StaffMember, record: Consultation) -> None:
    where = f"/doctor/consultations/{record.id}/recording: consultation recording"
    await record_access(
        uow.connection,
        staff_id=staff.id,
        action="read",
        subject="consultation",
        subject_id=record.id,
        context=where,
    )
    if record.patient_id is not None:
        await record_access(
            uow.connection,
            staff_id=staff.id,
            action="read",
            subject="patient",
            subject_id=record.patient_id,
            context=where,
        )
    await uow.commit()


@pages.get("/doctor/consultations/{consultation_id}/recording")
async def consult_recording(
    consultation_id: int, uow: Uow, staff: ListenerStaff, settings: AppSettings
) -> Response:
    # A doctor hears their own consultations; a supervisor any.
    own = None if _supervises(staff) else doctor_of(staff)
    record = await service.get_consultation(uow, consultation_id=consultation_id, doctor_id=own)
    path = service.recording_file(record, data_dir=settings.data_dir)
    await _audit_listen(uow, staff, record)
    return FileResponse(path, media_type="audio/wav", headers={"Cache-Control": "private"})


@pages.post("/doctor/consultations", response_class=HTMLResponse)
async def consult_save(
    request: Request, uow: Uow, staff: DoctorStaff, clock: AppClock, lang: Lang
) -> Response:
    doctor_id = doctor_of(staff)
    form = await request.form()
    try:
        await _save(uow, doctor_id, form, clock)
    except ConsultationError as exc:
        message = gettext(lang, exc.message)
        return await _page(
            request, uow, doctor_id, clock, error=message, status_code=exc.status_code
        )
    return await _page(request, uow, doctor_id, clock, saved=True)


async def _save(uow: Uow, doctor_id: int, form: FormData, clock: Clock) -> None:
    match _text(form, "part"):
        case "terms":
            settings = parse_settings(
                doctor_id,
                enabled=_text(form, "enabled") == "1",
                minutes=_text(form, "max_minutes"),
                fee_mode=_text(form, "fee_mode"),
                fee_yuan=_text(form, "fee"),
            )
            await service.update_settings(uow, settings=settings, clock=clock)
            windows = parse_windows(_text(form, "windows"))
            await service.set_windows(uow, doctor_id=doctor_id, windows=windows)
        case "numbers":
            numbers = [line for line in _text(form, "numbers").splitlines() if line.strip()]
            await service.set_private_numbers(uow, doctor_id=doctor_id, numbers=numbers)
        case "exception":
            exception = parse_exception(
                _text(form, "day"),
                _text(form, "available") == "1",
                _text(form, "start"),
                _text(form, "end"),
            )
            await service.add_exception(uow, doctor_id=doctor_id, exception=exception)
        case _:
            raise ConsultationError("There is nothing to save.")


@pages.post("/doctor/consultations/exceptions/{day}/delete")
async def exception_delete(day: str, uow: Uow, staff: DoctorStaff) -> RedirectResponse:
    await service.remove_exceptions(uow, doctor_id=doctor_of(staff), day=day)
    return RedirectResponse("/doctor/consultations", status_code=303)
