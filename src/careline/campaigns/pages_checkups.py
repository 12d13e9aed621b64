"""Staff page for check-up due dates: list, set one, import a CSV, remove."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from careline.campaigns import checkup_service
from careline.campaigns.checkups import Checkup, CheckupSource, LineError, parse_due_date
from careline.campaigns.model import CampaignError, InvalidCampaign
from careline.staff.model import Role, StaffMember
from careline.web.deps import AppClock, Lang, Uow, render, require_staff
from careline.web.i18n import gettext

pages = APIRouter(include_in_schema=False)
Supervisor = Annotated[StaffMember, Depends(require_staff(Role.SUPERVISOR))]
MAX_UPLOAD = 2_000_000


async def _page(
    request: Request,
    uow: Uow,
    *,
    error: str | None = None,
    line_errors: tuple[LineError, ...] = (),
    stored: int | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context = {
        "checkups": await checkup_service.list_checkups(uow),
        "error": error,
        "line_errors": line_errors,
        "stored": stored,
    }
    return render(request, "campaigns/checkups.html", context, status_code=status_code)


@pages.get("/campaigns-checkups", response_class=HTMLResponse)
async def checkups_page(request: Request, uow: Uow, _staff: Supervisor) -> HTMLResponse:
    return await _page(request, uow)


def _checkup(values: dict[str, str]) -> Checkup:
    raw_id = values.get("patient_id", "").strip()
    if not raw_id.isdigit():
        raise InvalidCampaign("The patient id must be a positive number.", field="patient_id")
    due = parse_due_date(values.get("due_on", ""))
    return Checkup(int(raw_id), values.get("kind", "").strip(), due, CheckupSource.STAFF)


@pages.post("/campaigns-checkups", response_class=HTMLResponse)
async def set_checkup(
    request: Request, uow: Uow, staff: Supervisor, clock: AppClock, lang: Lang
) -> Response:
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    try:
        await checkup_service.set_checkup(
            uow, checkup=_checkup(values), staff_id=staff.id, clock=clock
        )
    except CampaignError as exc:
        return await _page(request, uow, error=gettext(lang, exc.message), status_code=422)
    return RedirectResponse("/campaigns-checkups", status_code=303)


async def _csv_text(request: Request) -> str:
    form = await request.form()
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            raise InvalidCampaign("The file is too large.", field="file")
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidCampaign("The file must be UTF-8 text.", field="file") from None
    text = form.get("text")
    return text if isinstance(text, str) else ""


@pages.post("/campaigns-checkups/import", response_class=HTMLResponse)
async def import_checkups(
    request: Request, uow: Uow, staff: Supervisor, clock: AppClock, lang: Lang
) -> Response:
    try:
        text = await _csv_text(request)
    except CampaignError as exc:
        return await _page(request, uow, error=gettext(lang, exc.message), status_code=422)
    done = await checkup_service.import_checkups(uow, text=text, staff_id=staff.id, clock=clock)
    translated = tuple(LineError(e.line, gettext(lang, e.message)) for e in done.errors)
    status = 422 if translated else 200
    return await _page(request, uow, line_errors=translated, stored=done.stored, status_code=status)


@pages.post("/campaigns-checkups/remove", response_class=HTMLResponse)
async def remove_checkup(request: Request, uow: Uow, _staff: Supervisor, lang: Lang) -> Response:
    form = await request.form()
    raw_id, kind = form.get("patient_id"), form.get("kind")
    try:
        if not isinstance(raw_id, str) or not raw_id.isdigit() or not isinstance(kind, str):
            raise InvalidCampaign("The patient id must be a positive number.")
        await checkup_service.remove_checkup(uow, patient_id=int(raw_id), kind=kind)
    except CampaignError as exc:
        return await _page(request, uow, error=gettext(lang, exc.message), status_code=422)
    return RedirectResponse("/campaigns-checkups", status_code=303)
