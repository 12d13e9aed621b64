"""The supervisor's wallboard, call export, recordings, and the queue and agent set-up pages."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
)

from careline.acd import service
from careline.acd.model import AcdError, AgentStatus, format_skills, parse_skills
from careline.acd.pages import STATUS_NAMES, center_of
from careline.kit.clock import Clock
from careline.kit.errors import NotFound
from careline.staff import service as staff_service
from careline.staff.audit import record_access
from careline.staff.model import Role, StaffMember
from careline.web.deps import AppClock, AppSettings, Lang, Uow, render, require_staff
from careline.web.i18n import gettext

pages = APIRouter(include_in_schema=False)
Supervisor = Annotated[StaffMember, Depends(require_staff(Role.SUPERVISOR))]


async def wallboard_data(request: Request, uow: Any, clock: Clock) -> dict[str, Any]:
    """Everything the wallboard shows, for the page and the JSON API."""
    center = center_of(request.app)
    stats = await service.todays_stats(
        uow, clock=clock, service_seconds=center.policy.service_level_seconds
    )
    waiting = center.waiting_counts()
    longest = center.longest_waits()
    names = {s.id: s.display_name for s in await staff_service.list_staff(uow)}
    queues = sorted(set(stats) | set(waiting) | {q.name for q in await service.list_queues(uow)})
    return {
        "queues": [
            {
                "name": name,
                "waiting": waiting.get(name, 0),
                "longest_wait": round(longest.get(name, 0.0)),
                "stats": stats.get(name),
            }
            for name in queues
        ],
        "agents": [
            {
                "staff_id": agent.staff_id,
                "name": names.get(agent.staff_id, str(agent.staff_id)),
                "status": agent.status,
                "reason": agent.pause_reason,
                "since": agent.since,
                "queues": sorted(agent.queues),
            }
            for agent in sorted(center.agents.values(), key=lambda a: a.staff_id)
        ],
        "hours": await service.hourly_counts(uow, clock=clock),
        "service_seconds": int(center.policy.service_level_seconds),
    }


async def _board_context(request: Request, uow: Any, clock: Clock) -> dict[str, Any]:
    data = await wallboard_data(request, uow, clock)
    records = await service.records_since(uow, since=service.day_start(clock))
    peak = max((a + b for _, a, b in data["hours"]), default=0) or 1
    return {
        **data,
        "status_names": STATUS_NAMES,
        "peak": peak,
        "recordings": [r for r in reversed(records) if r.recording_path][:20],
        "zone": clock.zone,
    }


@pages.get("/wallboard", response_class=HTMLResponse)
async def wallboard(
    request: Request, uow: Uow, _staff: Supervisor, clock: AppClock
) -> HTMLResponse:
    return render(request, "acd/wallboard.html", await _board_context(request, uow, clock))


@pages.get("/wallboard/panel", response_class=HTMLResponse)
async def wallboard_panel(
    request: Request, uow: Uow, _staff: Supervisor, clock: AppClock
) -> HTMLResponse:
    return render(request, "acd/_board.html", await _board_context(request, uow, clock))


@pages.get("/wallboard/calls.csv")
async def calls_csv(uow: Uow, staff: Supervisor, clock: AppClock, days: int = 1) -> Response:
    since = service.day_start(clock) - timedelta(days=max(0, min(days, 366)) - 1)
    text = await service.export_csv(uow, since=since, staff_id=staff.id)
    stamp = clock.today().isoformat()
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="calls-{stamp}.csv"'},
    )


@pages.get("/wallboard/recordings/{record_id}.wav")
async def recording(record_id: int, uow: Uow, staff: Supervisor, settings: AppSettings) -> Response:
    record = await service.get_call_record(uow, record_id=record_id)
    root = (settings.data_dir / "recordings").resolve()
    path = Path(record.recording_path or "").resolve()
    if not record.recording_path or not path.is_relative_to(root) or not path.is_file():
        raise NotFound("There is no recording of this call.")
    await record_access(
        uow.connection,
        staff_id=staff.id,
        action="listen",
        subject="acd_recording",
        subject_id=record_id,
        context=f"GET /wallboard/recordings/{record_id}.wav",
    )
    await uow.commit()
    return FileResponse(path, media_type="audio/wav")


@pages.post("/wallboard/agents/{staff_id}/listen")
async def listen(
    request: Request, staff_id: int, uow: Uow, staff: Supervisor, lang: Lang
) -> JSONResponse:
    """Ring the supervisor's own extension with the agent's live call (silent monitor)."""
    from careline.staff.extensions import get_extension

    center = center_of(request.app)
    agent = center.state_of(staff_id)
    mine = await get_extension(uow, staff_id=staff.id)
    if mine is None:
        message = "Give yourself an extension and register your phone first."
        return JSONResponse({"ok": False, "message": gettext(lang, message)}, 409)
    if agent.status != AgentStatus.ON_CALL or not center.listen(agent.call_id, mine.extension):
        return JSONResponse({"ok": False, "message": gettext(lang, "This call is over.")}, 409)
    await record_access(
        uow.connection,
        staff_id=staff.id,
        action="listen",
        subject="call",
        subject_id=agent.call_id,
        context=f"POST /wallboard/agents/{staff_id}/listen (silent monitor)",
    )
    await uow.commit()
    return JSONResponse({"ok": True, "message": gettext(lang, "Your phone will ring.")})


# ---- set-up: queues and agents' skills -----------------------------------------------


async def _setup_context(uow: Any) -> dict[str, Any]:
    profiles = {p.staff_id: p for p in await service.list_profiles(uow)}
    agents = [s for s in await staff_service.list_staff(uow) if s.has_any(Role.AGENT) and s.active]
    return {
        "queues": await service.list_queues(uow),
        "agents": agents,
        "profiles": profiles,
        "format_skills": format_skills,
    }


@pages.get("/acd/setup", response_class=HTMLResponse)
async def setup_page(request: Request, uow: Uow, _staff: Supervisor) -> HTMLResponse:
    return render(request, "acd/setup.html", {**await _setup_context(uow), "error": None})


@pages.post("/acd/setup/queues", response_class=HTMLResponse)
async def save_queue(request: Request, uow: Uow, _staff: Supervisor, lang: Lang) -> Response:
    form = await request.form()
    value = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    try:
        await service.save_queue(
            uow,
            name=value.get("name", ""),
            skills=value.get("skills", ""),
            opens=value.get("opens", "00:00"),
            closes=value.get("closes", "23:59"),
            weekdays=value.get("weekdays", "0123456"),
            widen_after_seconds=int(value.get("widen_after_seconds") or 60),
            max_wait_seconds=int(value.get("max_wait_seconds") or 600),
            overflow=value.get("overflow", "callback"),
        )
    except (AcdError, ValueError) as exc:
        message = (
            exc.message
            if isinstance(exc, AcdError)
            else "Check the opening hours, waits and overflow."
        )
        context = {**await _setup_context(uow), "error": gettext(lang, message)}
        return render(request, "acd/setup.html", context, status_code=422)
    return RedirectResponse("/acd/setup", status_code=303)


@pages.post("/acd/setup/agents/{staff_id}", response_class=HTMLResponse)
async def save_agent(
    request: Request, staff_id: int, uow: Uow, _staff: Supervisor, clock: AppClock, lang: Lang
) -> Response:
    form = await request.form()
    skills_text = str(form.get("skills", ""))
    queues = [q.strip().lower() for q in str(form.get("queues", "")).split(",") if q.strip()]
    try:
        await staff_service.get_staff(uow, staff_id=staff_id)
        await service.save_profile(
            uow, staff_id=staff_id, skills=parse_skills(skills_text), queues=queues, clock=clock
        )
    except AcdError as exc:
        context = {**await _setup_context(uow), "error": gettext(lang, exc.message)}
        return render(request, "acd/setup.html", context, status_code=422)
    return RedirectResponse("/acd/setup", status_code=303)
