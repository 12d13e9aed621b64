"""The patients' web survey form, reached by the link in a campaign's SMS or email."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from careline.campaigns import results
from careline.campaigns.model import CampaignError, CampaignNotFound
from careline.kit.errors import PermissionDenied
from careline.web.deps import PRE_CSRF_COOKIE, AppClock, Lang, Uow, render
from careline.web.i18n import gettext

pages = APIRouter(include_in_schema=False)


def _check_form(request: Request, token: str) -> None:
    expected = request.cookies.get(PRE_CSRF_COOKIE, "")
    if not expected or not secrets.compare_digest(expected, token):
        raise PermissionDenied("The form expired; reload the page and try again.")


@pages.get("/survey/{token}", response_class=HTMLResponse)
async def survey_form(request: Request, token: str, uow: Uow) -> HTMLResponse:
    form = await results.open_survey(uow, token=token)
    context: dict[str, object] = {"form": form, "error": None, "values": {}, "done": form.answered}
    return render(request, "campaigns/survey.html", context)


@pages.post("/survey/{token}", response_class=HTMLResponse)
async def submit_survey(
    request: Request, token: str, uow: Uow, clock: AppClock, lang: Lang
) -> HTMLResponse:
    posted = await request.form()
    values = {k: v for k, v in posted.items() if isinstance(v, str)}
    _check_form(request, values.get("csrf_token", ""))
    try:
        await results.submit_survey(
            uow, token=token, answers=values, comment=values.get("comment", ""), clock=clock
        )
    except CampaignError as exc:
        if isinstance(exc, CampaignNotFound):
            raise
        form = await results.open_survey(uow, token=token)
        context = {
            "form": form,
            "error": gettext(lang, exc.message),
            "values": values,
            "done": form.answered,
        }
        return render(request, "campaigns/survey.html", context, status_code=exc.status_code)
    form = await results.open_survey(uow, token=token)
    return render(
        request, "campaigns/survey.html", {"form": form, "done": True, "error": None, "values": {}}
    )
