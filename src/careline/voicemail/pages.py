"""The doctor's voicemail pages: inbox with playback, replies, box settings, overdue list."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from careline.kit.errors import PermissionDenied
from careline.kit.phones import mask_phone
from careline.staff.audit import record_access
from careline.staff.model import Role, StaffMember
from careline.voicemail import inbox, upkeep
from careline.voicemail.audio import MAX_REPLY_BYTES, ReplyAudioInvalid, store_reply_audio
from careline.voicemail.model import (
    MessageNotFound,
    MessageStatus,
    NotifyBy,
    VoicemailBox,
    VoicemailError,
)
from careline.web.deps import AppClock, AppSettings, Lang, Uow, render, require_staff
from careline.web.i18n import gettext

pages = APIRouter(include_in_schema=False)
DoctorStaff = Annotated[StaffMember, Depends(require_staff(Role.DOCTOR))]
HeadStaff = Annotated[StaffMember, Depends(require_staff(Role.DEPARTMENT_HEAD))]
STATUS_NAMES = {
    "new": "New message",
    "heard": "Heard",
    "saved": "Saved",
    "done": "Done",
    "deleted": "Deleted",
}


def doctor_of(staff: StaffMember) -> int:
    """The doctor this account belongs to; accounts without one have no inbox."""
    if staff.doctor_id is None:
        raise PermissionDenied("Your account is not linked to a doctor.")
    return staff.doctor_id


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


@pages.get("/doctor/voicemail", response_class=HTMLResponse)
async def inbox_page(
    request: Request,
    uow: Uow,
    staff: DoctorStaff,
    clock: AppClock,
    show: str = "",
    error: str = "",
) -> HTMLResponse:
    doctor_id = doctor_of(staff)
    entries = await inbox.list_inbox(uow, doctor_id=doctor_id, include_done=show == "all")
    for entry in entries:
        if entry.patient_id is not None:
            await record_access(
                uow.connection,
                staff_id=staff.id,
                action="read",
                subject="patient",
                subject_id=entry.patient_id,
                context="/doctor/voicemail: caller's name on a voice message",
            )
    await uow.commit()
    context = {
        "entries": entries,
        "zone": clock.zone,
        "names": STATUS_NAMES,
        "masked": lambda phone: mask_phone(phone) if phone else "",
        "show_all": show == "all",
        "error": error,
    }
    return render(request, "voicemail/inbox.html", context)


def _file(settings_dir: Path, relative: str | None) -> Path:
    root = settings_dir.resolve()
    if not relative:
        raise MessageNotFound("This message has no recording.")
    path = (root / relative).resolve()
    # Only files inside the data dir: a stored path must never reach the rest of the disk.
    if not path.is_relative_to(root) or not path.is_file():
        raise MessageNotFound("This message has no recording.")
    return path


@pages.get("/doctor/voicemail/{message_id}/audio")
async def message_audio(
    message_id: int, uow: Uow, staff: DoctorStaff, settings: AppSettings
) -> Response:
    entry = await inbox.get_doctor_message(uow, doctor_id=doctor_of(staff), message_id=message_id)
    path = _file(settings.data_dir, entry.message.recording_path)
    return FileResponse(path, media_type="audio/wav", headers={"Cache-Control": "private"})


@pages.get("/doctor/voicemail/{message_id}/reply-audio")
async def reply_audio(
    message_id: int, uow: Uow, staff: DoctorStaff, settings: AppSettings
) -> Response:
    entry = await inbox.get_doctor_message(uow, doctor_id=doctor_of(staff), message_id=message_id)
    path = _file(settings.data_dir, entry.message.reply_path)
    return FileResponse(path, media_type="audio/wav", headers={"Cache-Control": "private"})


@pages.post("/doctor/voicemail/{message_id}/reply")
async def upload_reply(
    request: Request,
    message_id: int,
    uow: Uow,
    staff: DoctorStaff,
    clock: AppClock,
    settings: AppSettings,
    lang: Lang,
) -> Response:
    doctor_id = doctor_of(staff)
    form = await request.form(max_part_size=MAX_REPLY_BYTES)
    upload = form.get("file")
    try:
        await inbox.get_doctor_message(uow, doctor_id=doctor_id, message_id=message_id)
        if not isinstance(upload, UploadFile):
            raise ReplyAudioInvalid("The reply must be a WAV audio file.", field="file")
        data = await upload.read(MAX_REPLY_BYTES + 1)
        path = await store_reply_audio(data, data_dir=settings.data_dir, now=clock.now())
        await inbox.reply_by_recording(
            uow, doctor_id=doctor_id, message_id=message_id, reply_path=path, clock=clock
        )
    except VoicemailError as exc:
        return RedirectResponse(
            f"/doctor/voicemail?error={gettext(lang, exc.message)}", status_code=303
        )
    return RedirectResponse("/doctor/voicemail", status_code=303)


@pages.post("/doctor/voicemail/{message_id}/mark")
async def mark(
    request: Request, message_id: int, uow: Uow, staff: DoctorStaff, clock: AppClock, lang: Lang
) -> Response:
    form = await request.form()
    wanted = _text(form, "status")
    try:
        if wanted not in {s.value for s in MessageStatus}:
            raise MessageNotFound("There is no such status.", field="status")
        await inbox.mark_message(
            uow,
            doctor_id=doctor_of(staff),
            message_id=message_id,
            status=MessageStatus(wanted),
            clock=clock,
        )
    except VoicemailError as exc:
        return RedirectResponse(
            f"/doctor/voicemail?error={gettext(lang, exc.message)}", status_code=303
        )
    return RedirectResponse("/doctor/voicemail", status_code=303)


@pages.get("/doctor/voicemail/settings", response_class=HTMLResponse)
async def box_page(request: Request, uow: Uow, staff: DoctorStaff) -> HTMLResponse:
    box = await inbox.get_box(uow, doctor_id=doctor_of(staff))
    return render(request, "voicemail/settings.html", {"box": box, "error": "", "saved": False})


@pages.post("/doctor/voicemail/settings", response_class=HTMLResponse)
async def box_save(
    request: Request,
    uow: Uow,
    staff: DoctorStaff,
    clock: AppClock,
    settings: AppSettings,
    lang: Lang,
) -> HTMLResponse:
    doctor_id = doctor_of(staff)
    form = await request.form(max_part_size=MAX_REPLY_BYTES)
    current = await inbox.get_box(uow, doctor_id=doctor_id)
    box = _box_from(form, doctor_id, current.greeting_path)
    try:
        upload = form.get("greeting_file")
        if isinstance(upload, UploadFile) and upload.filename:
            data = await upload.read(MAX_REPLY_BYTES + 1)
            path = await store_reply_audio(data, data_dir=settings.data_dir, now=clock.now())
            box = replace(box, greeting_path=path)
        saved = await inbox.update_box(uow, box=box, clock=clock)
        if _text(form, "pin"):
            await inbox.set_doctor_pin(
                uow, doctor_id=doctor_id, pin=_text(form, "pin"), clock=clock
            )
            saved = await inbox.get_box(uow, doctor_id=doctor_id)
    except VoicemailError as exc:
        context = {"box": box, "error": gettext(lang, exc.message), "saved": False}
        return render(request, "voicemail/settings.html", context, status_code=exc.status_code)
    return render(request, "voicemail/settings.html", {"box": saved, "error": "", "saved": True})


def _box_from(form: FormData, doctor_id: int, greeting_path: str | None) -> VoicemailBox:
    seconds = _text(form, "max_message_seconds")
    notify = _text(form, "notify_by")
    return VoicemailBox(
        doctor_id,
        greeting_text=_text(form, "greeting_text"),
        # The recorded greeting stays until the doctor removes it or uploads another.
        greeting_path=None if _text(form, "remove_greeting") == "1" else greeting_path,
        max_message_seconds=int(seconds) if seconds.isdigit() else 0,
        accepting=_text(form, "accepting") == "1",
        notify_by=NotifyBy(notify) if notify in {n.value for n in NotifyBy} else NotifyBy.NONE,
        notify_to=_text(form, "notify_to"),
    )


@pages.get("/doctor/voicemail/settings/greeting")
async def greeting_audio(uow: Uow, staff: DoctorStaff, settings: AppSettings) -> Response:
    box = await inbox.get_box(uow, doctor_id=doctor_of(staff))
    path = _file(settings.data_dir, box.greeting_path)
    return FileResponse(path, media_type="audio/wav", headers={"Cache-Control": "private"})


@pages.get("/doctor/voicemail-overdue", response_class=HTMLResponse)
async def overdue_page(
    request: Request, uow: Uow, staff: HeadStaff, clock: AppClock
) -> HTMLResponse:
    if staff.department_id is None:
        raise PermissionDenied("Your account is not linked to a department.")
    overdue = await upkeep.overdue_for_department(uow, department_id=staff.department_id)
    context = {"overdue": overdue, "zone": clock.zone}
    return render(request, "voicemail/overdue.html", context)
