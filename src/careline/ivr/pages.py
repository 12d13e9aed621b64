"""Admin and supervisor pages of the phone line: prompt texts, recorded prompts, call records."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from careline.ivr import service
from careline.ivr.engine import FlowSpec
from careline.ivr.flowfile import FlowStore
from careline.ivr.model import LANGUAGES, FlowError, Outcome
from careline.ivr.registry import action_prompts
from careline.speech import InvalidRecording, RecordingLibrary
from careline.staff.model import Role, StaffMember
from careline.web.deps import AppClock, AppSettings, Lang, Uow, render, require_staff
from careline.web.i18n import gettext

pages = APIRouter(include_in_schema=False)
Admin = Annotated[StaffMember, Depends(require_staff(Role.ADMIN))]
Supervisor = Annotated[StaffMember, Depends(require_staff(Role.SUPERVISOR))]
MAX_UPLOAD = 16 * 1024 * 1024
OUTCOME_NAMES = {
    Outcome.SELF_SERVED: "Self-served",
    Outcome.TO_AGENT: "To an agent",
    Outcome.ABANDONED: "Abandoned",
}


def flow_store(data_dir: Path) -> FlowStore:
    """The flow as the phone line sees it, with the admin's texts under the data directory."""
    return FlowStore(action_prompts(), data_dir / "ivr" / "prompts.yaml")


def recordings(data_dir: Path) -> RecordingLibrary:
    """The recorded prompts the phone line plays (``<data_dir>/prompts``)."""
    return RecordingLibrary(data_dir / "prompts")


async def _prompts_page(
    request: Request, data_dir: Path, error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    store = flow_store(data_dir)
    flow: FlowSpec = store.current()
    recorded = await asyncio.to_thread(recordings(data_dir).available)
    context = {
        "prompts": sorted(flow.prompts.items()),
        "edited": store.edited_texts(),
        "recorded": {(prompt_id, language.value) for prompt_id, language in recorded},
        "languages": LANGUAGES,
        "error": error,
    }
    return render(request, "ivr/prompts.html", context, status_code=status_code)


@pages.get("/ivr/prompts", response_class=HTMLResponse)
async def prompts_page(request: Request, _staff: Admin, settings: AppSettings) -> HTMLResponse:
    return await _prompts_page(request, settings.data_dir)


@pages.post("/ivr/prompts/{prompt_id}", response_class=HTMLResponse)
async def save_prompt(
    request: Request, prompt_id: str, _staff: Admin, settings: AppSettings, lang: Lang
) -> Response:
    form = await request.form()
    texts = {
        language: str(form.get(language, ""))
        for language in LANGUAGES
        if isinstance(form.get(language), str)
    }
    try:
        flow_store(settings.data_dir).save_texts({prompt_id: texts})
    except FlowError:
        message = gettext(
            lang, "The text is empty, too long, or does not keep the fields in braces."
        )
        return await _prompts_page(request, settings.data_dir, message, 422)
    return RedirectResponse(f"/ivr/prompts#p-{prompt_id}", status_code=303)


@pages.post("/ivr/prompts/{prompt_id}/recording", response_class=HTMLResponse)
async def upload_recording(
    request: Request, prompt_id: str, _staff: Admin, settings: AppSettings, lang: Lang
) -> Response:
    form = await request.form()
    language = str(form.get("language", ""))
    upload = form.get("file")
    known = prompt_id in flow_store(settings.data_dir).current().prompts
    if not known or language not in LANGUAGES or not isinstance(upload, UploadFile):
        message = gettext(lang, "Choose a prompt, a language and a WAV file.")
        return await _prompts_page(request, settings.data_dir, message, 422)
    data = await upload.read(MAX_UPLOAD + 1)
    try:
        if len(data) > MAX_UPLOAD:
            raise InvalidRecording("too large")
        await asyncio.to_thread(recordings(settings.data_dir).store, prompt_id, language, data)
    except InvalidRecording:
        message = gettext(lang, "The recording must be a WAV file of 0.1 to 600 seconds.")
        return await _prompts_page(request, settings.data_dir, message, 422)
    return RedirectResponse(f"/ivr/prompts#p-{prompt_id}", status_code=303)


@pages.post("/ivr/prompts/{prompt_id}/recording/delete", response_class=HTMLResponse)
async def delete_recording(
    request: Request, prompt_id: str, _staff: Admin, settings: AppSettings
) -> Response:
    form = await request.form()
    language = str(form.get("language", ""))
    if language in LANGUAGES and prompt_id in flow_store(settings.data_dir).current().prompts:
        await asyncio.to_thread(recordings(settings.data_dir).remove, prompt_id, language)
    return RedirectResponse(f"/ivr/prompts#p-{prompt_id}", status_code=303)


@pages.get("/ivr/calls", response_class=HTMLResponse)
async def calls_page(
    request: Request, uow: Uow, _staff: Supervisor, clock: AppClock, outcome: str = ""
) -> HTMLResponse:
    chosen = Outcome(outcome) if outcome in set(Outcome) else None
    context = {
        "records": await service.list_call_records(uow, outcome=chosen, limit=100),
        "counts": await service.outcome_counts(uow, since=clock.now() - timedelta(days=1)),
        "outcomes": OUTCOME_NAMES,
        "chosen": chosen,
    }
    return render(request, "ivr/calls.html", context)
