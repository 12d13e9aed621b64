"""The agent desk (/desk, WebSocket /desk/ws) and its actions."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import HTMLResponse, JSONResponse

from careline.acd import desk, service
from careline.acd.center import AcdCenter, acd_policy
from careline.acd.events import (
    AcdEvent,
    AgentStateChanged,
    CallAnswered,
    CallbackOffered,
    CallEnded,
    CallOffered,
)
from careline.acd.model import WRAP_UP_CODES, AcdError, AgentStatus
from careline.config import LANGUAGES
from careline.db.uow import UnitOfWork
from careline.directory import service as directory
from careline.directory.model import Doctor
from careline.kit.errors import CarelineError
from careline.staff import service as staff_service
from careline.staff.model import Role, StaffMember
from careline.web.deps import (
    LANGUAGE_COOKIE,
    SESSION_COOKIE,
    AppClock,
    Lang,
    Uow,
    render,
    require_staff,
    templates,
)
from careline.web.i18n import gettext, translator

log = structlog.get_logger(__name__)
pages = APIRouter(include_in_schema=False)
Agent = Annotated[StaffMember, Depends(require_staff(Role.AGENT, Role.SUPERVISOR))]
STATUS_NAMES = {
    AgentStatus.SIGNED_OUT: "Signed out",
    AgentStatus.AVAILABLE: "Available",
    AgentStatus.RINGING: "Ringing",
    AgentStatus.ON_CALL: "On a call",
    AgentStatus.WRAP_UP: "Wrap-up",
    AgentStatus.PAUSED: "Paused",
}
WRAP_UP_NAMES = {
    "information": "Information given",
    "booking": "Appointment booked",
    "complaint": "Complaint",
    "prescription": "Prescription",
    "wrong_number": "Wrong number",
    "other": "Other",
}


def center_of(app: Any) -> AcdCenter:
    """The process's live centre (``careline serve`` makes it; a bare web app gets its own)."""
    center: AcdCenter | None = getattr(app.state, "acd_center", None)
    if center is None:
        engine = app.state.engine
        center = AcdCenter(
            lambda: UnitOfWork(engine), app.state.clock, policy=acd_policy(app.state.settings)
        )
        app.state.acd_center = center
    return center


def _partial(template: str, lang: str, **values: Any) -> str:
    page = templates.get_template(template)
    return page.render(_=translator(lang), lang=lang, status_names=STATUS_NAMES, **values)


@pages.get("/desk", response_class=HTMLResponse)
async def desk_page(request: Request, uow: Uow, staff: Agent) -> HTMLResponse:
    profile = await service.get_profile(uow, staff_id=staff.id)
    queues = sorted({q.name for q in await service.list_queues(uow)} | set(profile.queues))
    center = center_of(request.app)
    context = {
        "queues": queues or ["general"],
        "mine": set(profile.queues) or {"general"},
        "state": center.state_of(staff.id),
        "status_names": STATUS_NAMES,
        "wrap_up_codes": [(code, WRAP_UP_NAMES[code]) for code in WRAP_UP_CODES],
    }
    return render(request, "acd/desk.html", context)


async def _socket_staff(ws: WebSocket) -> StaffMember | None:
    token = ws.cookies.get(SESSION_COOKIE)
    origin = ws.headers.get("origin")
    # A page of another site must not open an agent's socket with the agent's cookie.
    if not token or (origin and origin.split("://", 1)[-1] != ws.headers.get("host")):
        return None
    async with UnitOfWork(ws.app.state.engine) as uow:
        found = await staff_service.session_staff(uow, token=token, clock=ws.app.state.clock)
    if found is None or not found[0].has_any(Role.AGENT, Role.SUPERVISOR):
        return None
    return found[0]


@pages.websocket("/desk/ws")
async def desk_socket(ws: WebSocket) -> None:
    staff = await _socket_staff(ws)
    if staff is None:
        await ws.close(code=4401)
        return
    cookie = ws.cookies.get(LANGUAGE_COOKIE)
    lang = cookie if cookie in LANGUAGES else ws.app.state.settings.language
    await ws.accept()
    center = center_of(ws.app)
    center.start()
    outbox: asyncio.Queue[AcdEvent] = asyncio.Queue()
    unsubscribe = center.bus.subscribe(outbox.put_nowait)
    sender = asyncio.get_running_loop().create_task(_send_loop(ws, outbox, staff, lang, center))
    try:
        await _send_strip(ws, center, staff.id)
        while True:
            message = await ws.receive_json()
            await _on_message(ws, center, staff.id, message, lang)
    except WebSocketDisconnect:
        pass
    finally:
        unsubscribe()
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sender
        with contextlib.suppress(AcdError):
            if center.state_of(staff.id).status != AgentStatus.SIGNED_OUT:
                center.sign_out(staff.id)


async def _on_message(
    ws: WebSocket, center: AcdCenter, staff_id: int, message: dict[str, Any], lang: str
) -> None:
    action = message.get("action")
    try:
        match action:
            case "sign_in":
                queues = [str(q) for q in message.get("queues", [])][:20]
                await center.sign_in(staff_id, queues)
            case "queues":
                center.set_queues(staff_id, [str(q) for q in message.get("queues", [])][:20])
            case "ready":
                center.ready(staff_id)
            case "pause":
                center.pause(staff_id, str(message.get("reason", "break")))
            case "sign_out":
                center.sign_out(staff_id)
            case "callback_done":
                await center.callback_done(staff_id, int(message.get("id", 0)))
            case _:
                return
    except CarelineError as exc:
        await ws.send_json({"type": "error", "message": gettext(lang, exc.message)})


async def _send_strip(ws: WebSocket, center: AcdCenter, staff_id: int) -> None:
    state = center.state_of(staff_id)
    await ws.send_json(
        {
            "type": "strip",
            "status": state.status.value,
            "reason": state.pause_reason,
            "queues": sorted(state.queues),
            "waiting": center.waiting_counts(),
        }
    )


async def _send_loop(
    ws: WebSocket,
    outbox: asyncio.Queue[AcdEvent],
    staff: StaffMember,
    lang: str,
    center: AcdCenter,
) -> None:
    while True:
        event = await outbox.get()
        try:
            await _deliver(ws, event, staff, lang, center)
        except (WebSocketDisconnect, RuntimeError):
            return
        except Exception:  # noqa: BLE001 - keep the desk alive; the next event may work
            log.exception("desk_event_failed", staff_id=staff.id)


async def _deliver(
    ws: WebSocket, event: AcdEvent, staff: StaffMember, lang: str, center: AcdCenter
) -> None:
    match event:
        case CallOffered(staff_id=staff_id) if staff_id == staff.id:
            await ws.send_json(
                {
                    "type": "pop",
                    "call_id": event.call_id,
                    "html": await _pop(ws, event, staff, lang),
                }
            )
        case CallAnswered(staff_id=staff_id) if staff_id == staff.id:
            await ws.send_json({"type": "answered", "call_id": event.call_id})
        case CallEnded(staff_id=staff_id) if staff_id == staff.id:
            await ws.send_json({"type": "ended", "call_id": event.call_id})
        case CallbackOffered(staff_id=staff_id) if staff_id == staff.id:
            html = _partial("acd/_callback.html", lang, callback=event)
            await ws.send_json({"type": "callback", "id": event.callback_id, "html": html})
        case AgentStateChanged(staff_id=staff_id) if staff_id != staff.id:
            return
        case _:
            pass
    await _send_strip(ws, center, staff.id)


async def _pop(ws: WebSocket, offer: CallOffered, staff: StaffMember, lang: str) -> str:
    async with UnitOfWork(ws.app.state.engine) as uow:
        pop = await desk.build_screen_pop(
            uow,
            staff_id=staff.id,
            call_id=offer.call_id,
            queue=offer.queue,
            caller=offer.caller,
            patient_id=offer.patient_id,
            ivr_path=offer.ivr_path,
            language=offer.language,
        )
        queues = sorted({q.name for q in await service.list_queues(uow)} | {"general"})
        colleagues = _colleagues(center_of(ws.app), staff.id, await staff_service.list_staff(uow))
        # One read of the directory serves both the booking form and the consultation list.
        all_doctors = await directory.list_doctors(uow)
        doctors = all_doctors if pop.patients else []
        consult = await _consult_doctors(uow, center_of(ws.app), lang, all_doctors)
    codes = [(code, WRAP_UP_NAMES[code]) for code in WRAP_UP_CODES]
    return _partial(
        "acd/_pop.html",
        lang,
        pop=pop,
        wrap_up_codes=codes,
        queues=queues,
        agents=colleagues,
        doctors=doctors,
        consult_doctors=consult,
        booking_key=secrets.token_urlsafe(12),
    )


async def _consult_doctors(
    uow: UnitOfWork, center: AcdCenter, lang: str, doctors: list[Doctor]
) -> list[tuple[int, str]]:
    """Doctors the caller may be put through to, labelled with their availability now."""
    from careline.acd.consult import consult_options
    from careline.acd.consult_pages import option_label

    options = await consult_options(uow, clock=center.clock, language=lang, doctors=doctors)
    return [(o.doctor_id, option_label(o, lang)) for o in options]


def _colleagues(center: AcdCenter, me: int, staff: list[StaffMember]) -> list[tuple[int, str]]:
    """Signed-in agents a call may be transferred to by name."""
    names = {s.id: s.display_name for s in staff}
    return [
        (a.staff_id, names.get(a.staff_id, str(a.staff_id)))
        for a in sorted(center.agents.values(), key=lambda a: a.staff_id)
        if a.staff_id != me and a.status != AgentStatus.SIGNED_OUT
    ]


# ---- actions during and after the call ----------------------------------------------


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _done(lang: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"ok": True, "message": gettext(lang, message), **extra})


@pages.post("/desk/calls/{call_id}/wrap-up")
async def wrap_up(
    request: Request, call_id: str, uow: Uow, staff: Agent, lang: Lang
) -> JSONResponse:
    form = await _form(request)
    await service.wrap_up_call(
        uow,
        call_id=call_id,
        staff_id=staff.id,
        code=form.get("code", ""),
        notes=form.get("notes", ""),
    )
    center = center_of(request.app)
    if center.state_of(staff.id).status == AgentStatus.WRAP_UP:
        center.ready(staff.id)
    return _done(lang, "Wrap-up saved.")


@pages.post("/desk/patients")
async def new_patient(
    request: Request, uow: Uow, staff: Agent, clock: AppClock, lang: Lang
) -> JSONResponse:
    form = await _form(request)
    patient = await desk.register_caller(
        uow,
        staff_id=staff.id,
        name=form.get("name", ""),
        phone=form.get("phone", ""),
        gender=form.get("gender", ""),
        clock=clock,
    )
    return _done(lang, "Patient registered.", patient_id=patient.id)


@pages.post("/desk/tickets")
async def new_ticket(
    request: Request, uow: Uow, staff: Agent, clock: AppClock, lang: Lang
) -> JSONResponse:
    form = await _form(request)
    patient = form.get("patient_id", "")
    ticket = await desk.open_desk_ticket(
        uow,
        staff_id=staff.id,
        subject=form.get("subject", ""),
        body=form.get("body", ""),
        patient_id=int(patient) if patient.isdigit() else None,
        phone=form.get("phone", ""),
        clock=clock,
    )
    return _done(lang, "Ticket opened.", number=ticket.number)


@pages.post("/desk/sms")
async def send_sms(
    request: Request, uow: Uow, _staff: Agent, clock: AppClock, lang: Lang
) -> JSONResponse:
    form = await _form(request)
    await desk.send_desk_sms(uow, to=form.get("to", ""), text=form.get("text", ""), clock=clock)
    return _done(lang, "SMS queued.")


@pages.post("/desk/calls/{call_id}/hangup")
async def hang_up(request: Request, call_id: str, staff: Agent, lang: Lang) -> JSONResponse:
    center = center_of(request.app)
    if center.state_of(staff.id).call_id != call_id or not center.hang_up(call_id):
        return JSONResponse({"ok": False, "message": gettext(lang, "This call is over.")}, 409)
    return _done(lang, "Hung up.")


@pages.post("/desk/calls/{call_id}/hold")
async def hold(request: Request, call_id: str, staff: Agent, lang: Lang) -> JSONResponse:
    form = await _form(request)
    on = form.get("on", "1") == "1"
    center = center_of(request.app)
    if center.state_of(staff.id).call_id != call_id or not center.hold(call_id, on):
        return JSONResponse({"ok": False, "message": gettext(lang, "This call is over.")}, 409)
    return _done(lang, "On hold." if on else "Back on the line.")


@pages.post("/desk/calls/{call_id}/transfer")
async def transfer(request: Request, call_id: str, staff: Agent, lang: Lang) -> JSONResponse:
    """Transfer to a queue, or (``agent``: a staff id) to a named agent within ``queue``."""
    form = await _form(request)
    queue = form.get("queue", "").strip().lower()
    agent = form.get("agent", "").strip()
    agent_id = int(agent) if agent.isdigit() else None
    center = center_of(request.app)
    if not queue or center.state_of(staff.id).call_id != call_id:
        return JSONResponse({"ok": False, "message": gettext(lang, "This call is over.")}, 409)
    if agent_id is not None and (
        agent_id == staff.id or center.state_of(agent_id).status == AgentStatus.SIGNED_OUT
    ):
        message = gettext(lang, "That agent is not signed in.")
        return JSONResponse({"ok": False, "message": message}, 409)
    if not center.transfer(call_id, queue, agent_id):
        return JSONResponse({"ok": False, "message": gettext(lang, "This call is over.")}, 409)
    return _done(lang, "Transferred.")
