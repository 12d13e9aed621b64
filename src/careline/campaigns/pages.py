"""Staff pages of campaigns (supervisors and admins) and the patients' web survey form."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from careline.campaigns import library, results, service
from careline.campaigns.forms import (
    bar_chart,
    read_campaign_form,
    read_questionnaire,
    read_start_time,
)
from careline.campaigns.lunar import Festival
from careline.campaigns.model import (
    CampaignError,
    CampaignNotFound,
    CampaignStatus,
    MessageTemplate,
)
from careline.campaigns.policy import campaign_policy
from careline.campaigns.runtime import recordings_dir
from careline.campaigns.survey import questionnaire_to_data
from careline.staff.model import Role, StaffMember
from careline.web.deps import (
    AppClock,
    AppSettings,
    Lang,
    Uow,
    get_settings,
    render,
    require_staff,
)
from careline.web.i18n import gettext

pages = APIRouter(include_in_schema=False)
Supervisor = Annotated[StaffMember, Depends(require_staff(Role.SUPERVISOR))]

KIND_NAMES = {"care": "Care greeting", "reminder": "Reminder", "survey": "Survey"}
AUDIENCE_NAMES = {
    "birthday": "Birthday (solar or lunar)",
    "festival": "Chinese festival",
    "appointment_tomorrow": "Appointment tomorrow",
    "checkup_due": "Check-up due (stored due date, else days since last visit)",
    "vaccination": "Child vaccination due (days ahead)",
    "follow_up": "Follow-up (days after a visit)",
    "recent_visit": "Visited within the last days",
    "everyone": "All patients",
}
STATUS_NAMES = {
    "draft": "Draft",
    "running": "Running",
    "paused": "Paused",
    "finished": "Finished",
    "pending": "Pending",
    "reached": "Reached",
    "unreached": "Unreached",
    "opted_out": "Opted out",
    "sent": "Sent",
    "skipped": "Skipped",
    "answered": "Call answered",
    "busy": "Busy",
    "no_answer": "No answer",
    "failed": "Failed",
    "cancelled": "Cancelled",
}
CHANNEL_NAMES = {"voice": "Voice call", "sms": "SMS", "email": "Email"}


def _names() -> dict[str, object]:
    return {
        "kinds": KIND_NAMES,
        "audiences": AUDIENCE_NAMES,
        "status_names": STATUS_NAMES,
        "channel_names": CHANNEL_NAMES,
        "festivals": [f.value for f in Festival],
    }


async def _list_page(
    request: Request,
    uow: Uow,
    error: str | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context = {
        "campaigns": await service.list_campaigns(uow),
        "templates": await library.list_templates(uow),
        "questionnaires": await library.list_questionnaires(uow),
        "error": error,
        "values": values or {},
        **_names(),
    }
    return render(request, "campaigns/list.html", context, status_code=status_code)


@pages.get("/campaigns", response_class=HTMLResponse)
async def campaigns_page(request: Request, uow: Uow, _staff: Supervisor) -> HTMLResponse:
    return await _list_page(request, uow)


@pages.post("/campaigns", response_class=HTMLResponse)
async def create_campaign(
    request: Request, uow: Uow, staff: Supervisor, clock: AppClock, lang: Lang
) -> Response:
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    channels = [str(v) for v in form.getlist("channels")]
    try:
        await _fill_from_library(uow, values)
        parsed = read_campaign_form(values, channels)
        campaign = await service.create_campaign(
            uow,
            name=parsed.name,
            kind=parsed.kind,
            rule=parsed.rule,
            channels=parsed.channels,
            template=parsed.template,
            questionnaire=parsed.questionnaire,
            urgent=parsed.urgent,
            staff_id=staff.id,
            clock=clock,
        )
    except CampaignError as exc:
        return await _list_page(request, uow, gettext(lang, exc.message), values, exc.status_code)
    return RedirectResponse(f"/campaigns/{campaign.id}", status_code=303)


async def _fill_from_library(uow: Uow, values: dict[str, str]) -> None:
    """Copy a chosen saved template or questionnaire into empty form fields."""
    chosen = values.get("template_id", "")
    if chosen.isdigit() and not values.get("body_zh", "").strip():
        saved = {t.id: t.template for t in await library.list_templates(uow)}
        if int(chosen) in saved:
            found = saved[int(chosen)]
            values |= {
                "body_zh": found.body_zh,
                "body_en": found.body_en,
                "subject_zh": found.subject_zh,
                "subject_en": found.subject_en,
            }
    chosen = values.get("questionnaire_id", "")
    if chosen.isdigit() and not values.get("questions", "").strip():
        for item in await library.list_questionnaires(uow):
            if item.id == int(chosen):
                values["questions"] = json.dumps(
                    questionnaire_to_data(item.questionnaire), ensure_ascii=False
                )


@pages.post("/campaigns-library/templates", response_class=HTMLResponse)
async def save_template(
    request: Request, uow: Uow, _staff: Supervisor, clock: AppClock, lang: Lang
) -> Response:
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    template = MessageTemplate(
        body_zh=values.get("body_zh", "").strip(),
        body_en=values.get("body_en", "").strip(),
        subject_zh=values.get("subject_zh", "").strip(),
        subject_en=values.get("subject_en", "").strip(),
    )
    try:
        await library.save_template(
            uow, name=values.get("name", ""), template=template, clock=clock
        )
    except CampaignError as exc:
        return await _list_page(request, uow, gettext(lang, exc.message), None, exc.status_code)
    return RedirectResponse("/campaigns", status_code=303)


@pages.post("/campaigns-library/questionnaires", response_class=HTMLResponse)
async def save_questionnaire(
    request: Request, uow: Uow, _staff: Supervisor, clock: AppClock, lang: Lang
) -> Response:
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    try:
        parsed = read_questionnaire(values.get("questions", ""))
        await library.save_questionnaire(
            uow, name=values.get("name", ""), questionnaire=parsed, clock=clock
        )
    except CampaignError as exc:
        return await _list_page(request, uow, gettext(lang, exc.message), None, exc.status_code)
    return RedirectResponse("/campaigns", status_code=303)


@pages.get("/campaigns/{campaign_id}", response_class=HTMLResponse)
async def campaign_page(
    request: Request, campaign_id: int, uow: Uow, _staff: Supervisor, clock: AppClock
) -> HTMLResponse:
    return await _campaign_page(request, campaign_id, uow, clock)


async def _campaign_page(
    request: Request,
    campaign_id: int,
    uow: Uow,
    clock: AppClock,
    error: CampaignError | None = None,
    lang: str = "zh-CN",
) -> HTMLResponse:
    if isinstance(error, CampaignNotFound):
        raise error
    campaign = await service.get_campaign(uow, campaign_id=campaign_id)
    preview = None
    if campaign.status is CampaignStatus.DRAFT:
        policy = campaign_policy(get_settings(request))
        preview = await service.preview_audience(
            uow, campaign_id=campaign_id, clock=clock, policy=policy
        )
    progress = await results.get_progress(uow, campaign_id=campaign_id)
    charts = []
    if campaign.questionnaire is not None:
        for question in campaign.questionnaire.questions:
            counts = progress.answers.get(question.key, {})
            charts.append((question, bar_chart(counts, question.options())))
    context = {
        "campaign": campaign,
        "preview": preview,
        "progress": progress,
        "charts": charts,
        "comments": await results.list_comments(uow, campaign_id=campaign_id),
        "error": gettext(lang, error.message) if error else None,
        **_names(),
    }
    status = error.status_code if error else 200
    return render(request, "campaigns/view.html", context, status_code=status)


@pages.post("/campaigns/{campaign_id}/start", response_class=HTMLResponse)
async def start_campaign(
    request: Request,
    campaign_id: int,
    uow: Uow,
    _staff: Supervisor,
    clock: AppClock,
    settings: AppSettings,
    lang: Lang,
) -> Response:
    form = await request.form()
    when = form.get("starts_at")
    try:
        starts_at = read_start_time(when if isinstance(when, str) else "", settings.zone)
        await service.start_campaign(
            uow,
            campaign_id=campaign_id,
            clock=clock,
            policy=campaign_policy(settings),
            starts_at=starts_at,
        )
    except CampaignError as exc:
        return await _campaign_page(request, campaign_id, uow, clock, exc, lang)
    return RedirectResponse(f"/campaigns/{campaign_id}", status_code=303)


@pages.post("/campaigns/{campaign_id}/{action}", response_class=HTMLResponse)
async def change_campaign(
    request: Request,
    campaign_id: int,
    action: str,
    uow: Uow,
    _staff: Supervisor,
    clock: AppClock,
    lang: Lang,
) -> Response:
    wanted = {
        "pause": CampaignStatus.PAUSED,
        "resume": CampaignStatus.RUNNING,
        "finish": CampaignStatus.FINISHED,
    }.get(action)
    if wanted is None:
        raise CampaignNotFound("There is no campaign with this id.")
    try:
        await service.change_status(uow, campaign_id=campaign_id, status=wanted, clock=clock)
    except CampaignError as exc:
        return await _campaign_page(request, campaign_id, uow, clock, exc, lang)
    return RedirectResponse(f"/campaigns/{campaign_id}", status_code=303)


@pages.get("/campaigns/{campaign_id}/export.csv")
async def export_campaign(campaign_id: int, uow: Uow, staff: Supervisor) -> Response:
    text = await results.export_csv(uow, campaign_id=campaign_id, staff_id=staff.id)
    headers = {"Content-Disposition": f'attachment; filename="campaign-{campaign_id}.csv"'}
    return Response("\ufeff" + text, media_type="text/csv; charset=utf-8", headers=headers)


@pages.get("/campaigns/{campaign_id}/comments/{target_id}.wav")
async def comment_audio(
    campaign_id: int, target_id: int, uow: Uow, _staff: Supervisor, settings: AppSettings
) -> Response:
    comments = await results.list_comments(uow, campaign_id=campaign_id)
    found = next((c for c in comments if c.target_id == target_id and c.recording), None)
    path = recordings_dir(settings) / (found.recording or "") if found else None
    if path is None or not path.is_file():
        raise CampaignNotFound("There is no recorded comment here.")
    return FileResponse(path, media_type="audio/wav")
