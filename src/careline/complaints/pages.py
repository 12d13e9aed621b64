"""Handlers' HTML pages: queues, the ticket view and its actions, desk intake."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from careline.complaints import service, workflow
from careline.complaints.feedback import FeedbackDialer
from careline.complaints.model import (
    ComplaintError,
    FeedbackChannel,
    SlaPolicy,
    TicketDraft,
    TicketKind,
    TicketNotFound,
    TicketSource,
    TicketStatus,
)
from careline.complaints.names import NAMES, department_names
from careline.directory import service as directory
from careline.patients import service as patients
from careline.patients.model import PatientError
from careline.staff.model import Role, StaffMember
from careline.web.deps import AppClock, AppSettings, Lang, Uow, render, require_staff
from careline.web.i18n import gettext

pages = APIRouter(include_in_schema=False)
HANDLERS = (Role.COMPLAINT_HANDLER, Role.DEPARTMENT_HEAD, Role.SUPERVISOR)
Handler = Annotated[StaffMember, Depends(require_staff(*HANDLERS))]
QUEUE_STATES = tuple(
    s for s in TicketStatus if s not in (TicketStatus.RESOLVED, TicketStatus.CLOSED)
)


def policy_of(request: Request) -> SlaPolicy | None:
    """The SLA policy the application was started with (defaults when none)."""
    policy: SlaPolicy | None = getattr(request.app.state, "complaints_policy", None)
    return policy


def dialer_of(request: Request) -> FeedbackDialer | None:
    """The voice dialer adapter, once the telephony core provides one."""
    dialer: FeedbackDialer | None = getattr(request.app.state, "complaints_dialer", None)
    return dialer


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


@pages.get("/complaints", response_class=HTMLResponse)
async def queue_page(
    request: Request, uow: Uow, staff: Handler, clock: AppClock, queue: str = ""
) -> HTMLResponse:
    # A department head who is nothing more sees only their own department's queue.
    only_own = not staff.roles & {Role.COMPLAINT_HANDLER, Role.SUPERVISOR, Role.ADMIN}
    if only_own:
        queue = str(staff.department_id or 0)
    elif not queue:
        queue = "office"
    department_id = int(queue) if queue.isdigit() else None
    tickets = await service.list_queue(uow, department_id=department_id, statuses=QUEUE_STATES)
    departments = await directory.list_departments(uow)
    context = {
        "tickets": tickets,
        "queue": queue if department_id else "office",
        "departments": departments,
        "department_names": department_names(departments, staff.language),
        "names": NAMES,
        "now": clock.now(),
        "zone": clock.zone,
        "warning": timedelta(hours=(policy_of(request) or SlaPolicy()).warning_hours),
    }
    return render(request, "complaints/queue.html", context)


@pages.get("/complaints/new", response_class=HTMLResponse)
async def new_ticket_page(request: Request, uow: Uow, _staff: Handler) -> HTMLResponse:
    return await _new_form(request, uow, {}, None)


async def _new_form(
    request: Request, uow: Uow, values: dict[str, str], error: str | None, status_code: int = 200
) -> HTMLResponse:
    context = {
        "values": values,
        "error": error,
        "kinds": list(TicketKind),
        "channels": list(FeedbackChannel),
        "departments": await directory.list_departments(uow),
        "names": NAMES,
    }
    return render(request, "complaints/new.html", context, status_code=status_code)


@pages.post("/complaints/new", response_class=HTMLResponse)
async def new_ticket_submit(
    request: Request, uow: Uow, staff: Handler, clock: AppClock, lang: Lang
) -> Response:
    form = await request.form()
    values = {key: _text(form, key) for key in form if key != "csrf_token"}
    try:
        draft = TicketDraft(
            kind=TicketKind(values.get("kind") or "complaint"),
            source=TicketSource.DESK,
            subject=values.get("subject", ""),
            body=values.get("body", ""),
            category=values.get("category", ""),
            department_id=int(values["department_id"]) if values.get("department_id") else None,
            patient_id=int(values["patient_id"])
            if values.get("patient_id", "").isdigit()
            else None,
            contact_name=values.get("contact_name", ""),
            contact_phone=values.get("contact_phone") or None,
            contact_email=values.get("contact_email") or None,
            feedback_channel=FeedbackChannel(values.get("feedback_channel") or "none"),
            language=values.get("language") or lang,
            multi_department=values.get("multi_department") == "1",
            first_contact_staff_id=staff.id,
        )
        ticket = await service.open_ticket(uow, draft=draft, clock=clock, policy=policy_of(request))
    except ComplaintError as exc:
        return await _new_form(request, uow, values, gettext(lang, exc.message), exc.status_code)
    except ValueError:
        return await _new_form(request, uow, values, gettext(lang, "Invalid input."), 422)
    return RedirectResponse(f"/complaints/{ticket.id}", status_code=303)


async def _ticket_page(
    request: Request,
    uow: Uow,
    staff: StaffMember,
    ticket_id: int,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    clock = request.app.state.clock
    ticket = await service.get_ticket(uow, ticket_id=ticket_id)
    patient, history = None, []
    if ticket.patient_id is not None:
        try:
            record = await patients.get_patient(
                uow,
                patient_id=ticket.patient_id,
                staff_id=staff.id,
                context=f"complaint ticket {ticket.number}",
            )
            patient = record.patient
        except PatientError:
            patient = None
        history = [
            other
            for other in await service.list_patient_tickets(uow, patient_id=ticket.patient_id)
            if other.id != ticket.id
        ]
    departments = await directory.list_departments(uow)
    context: dict[str, Any] = {
        "t": ticket,
        "events": await service.ticket_history(uow, ticket_id=ticket.id),
        "attachments": await service.list_attachments(uow, ticket_id=ticket.id),
        "patient": patient,
        "history": history,
        "departments": departments,
        "department_names": department_names(departments, staff.language),
        "names": NAMES,
        "statuses": list(TicketStatus),
        "error": error,
        "now": clock.now(),
        "zone": clock.zone,
        "policy": policy_of(request) or service.DEFAULT_POLICY,
    }
    return render(request, "complaints/view.html", context, status_code=status_code)


@pages.get("/complaints/{ticket_id}", response_class=HTMLResponse)
async def ticket_page(request: Request, ticket_id: int, uow: Uow, staff: Handler) -> HTMLResponse:
    return await _ticket_page(request, uow, staff, ticket_id)


@pages.post("/complaints/{ticket_id}/{action}", response_class=HTMLResponse)
async def ticket_action(
    request: Request,
    ticket_id: int,
    action: str,
    uow: Uow,
    staff: Handler,
    clock: AppClock,
    lang: Lang,
) -> Response:
    form = await request.form()
    try:
        await _act(request, uow, staff, clock, ticket_id, action, form)
    except ComplaintError as exc:
        return await _ticket_page(
            request,
            uow,
            staff,
            ticket_id,
            error=gettext(lang, exc.message),
            status_code=exc.status_code,
        )
    return RedirectResponse(f"/complaints/{ticket_id}", status_code=303)


async def _act(
    request: Request,
    uow: Uow,
    staff: StaffMember,
    clock: Any,
    ticket_id: int,
    action: str,
    form: FormData,
) -> None:
    policy, dialer = policy_of(request), dialer_of(request)
    body, reason = _text(form, "body"), _text(form, "reason")
    common = {"ticket_id": ticket_id, "clock": clock}
    match action:
        case "take":
            await workflow.take_ticket(uow, staff_id=staff.id, policy=policy, **common)
        case "reply":
            await workflow.reply_to_patient(
                uow, staff_id=staff.id, body=body, policy=policy, dialer=dialer, **common
            )
        case "note":
            await workflow.add_note(uow, staff_id=staff.id, body=body, **common)
        case "resolve":
            await workflow.resolve_ticket(
                uow, staff_id=staff.id, resolution=body, policy=policy, dialer=dialer, **common
            )
        case "status":
            to = TicketStatus(_text(form, "to")) if _text(form, "to") in set(TicketStatus) else None
            if to is None:
                raise TicketNotFound("There is no such state.")
            await workflow.change_status(
                uow, to=to, staff_id=staff.id, reason=reason, policy=policy, **common
            )
        case "escalate":
            await workflow.escalate_ticket(
                uow, staff_id=staff.id, reason=reason, policy=policy, **common
            )
        case "triage":
            department = _text(form, "department_id")
            await workflow.triage_ticket(
                uow,
                department_id=int(department) if department.isdigit() else None,
                staff_id=staff.id,
                reason=reason,
                multi_department=_text(form, "multi_department") == "1",
                policy=policy,
                **common,
            )
        case "merge":
            survivor = await service.find_ticket(uow, number=_text(form, "survivor"))
            await workflow.merge_tickets(
                uow,
                duplicate_id=ticket_id,
                survivor_id=survivor.id,
                staff_id=staff.id,
                reason=reason,
                clock=clock,
                policy=policy,
            )
        case "attachments":
            upload = form.get("file")
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise TicketNotFound("Choose a file to attach.")
            data = await upload.read(service.MAX_ATTACHMENT_BYTES + 1)
            await service.add_attachment(
                uow,
                filename=upload.filename,
                content_type=upload.content_type or "application/octet-stream",
                data=data,
                size=upload.size,
                **common,
            )
        case _:
            raise TicketNotFound("There is no such action.")


@pages.get("/complaints/{ticket_id}/recording")
async def ticket_recording(
    ticket_id: int, uow: Uow, _staff: Handler, settings: AppSettings
) -> Response:
    ticket = await service.get_ticket(uow, ticket_id=ticket_id)
    root = settings.data_dir.resolve()
    if not ticket.recording_path:
        raise TicketNotFound("This ticket has no recording.")
    path = (root / ticket.recording_path).resolve()
    # Only files inside the data dir: a stored path must never reach the rest of the disk.
    if not path.is_relative_to(root) or not path.is_file():
        raise TicketNotFound("This ticket has no recording.")
    return FileResponse(path, media_type="audio/wav", headers={"Cache-Control": "private"})


@pages.get("/complaints/attachments/{attachment_id}")
async def ticket_attachment(attachment_id: int, uow: Uow, _staff: Handler) -> Response:
    attachment, data = await service.get_attachment(uow, attachment_id=attachment_id)
    return Response(
        data,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": "attachment; filename*=UTF-8''"
            + quote(attachment.filename, safe=""),
            "X-Content-Type-Options": "nosniff",
        },
    )
