"""Public pages: leave feedback on the web, check a ticket's status with number and phone."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from careline.complaints import service
from careline.complaints.model import (
    ComplaintError,
    FeedbackChannel,
    TicketDraft,
    TicketKind,
    TicketSource,
)
from careline.complaints.names import NAMES
from careline.complaints.pages import policy_of
from careline.kit.errors import PermissionDenied
from careline.web.deps import PRE_CSRF_COOKIE, AppClock, Lang, Uow, render
from careline.web.i18n import gettext

pages = APIRouter(include_in_schema=False)
PUBLIC_CHANNELS = (FeedbackChannel.SMS, FeedbackChannel.EMAIL, FeedbackChannel.VOICE)


def _check_form(request: Request, token: str) -> None:
    expected = request.cookies.get(PRE_CSRF_COOKIE, "")
    if not expected or not secrets.compare_digest(expected, token):
        raise PermissionDenied("The form expired; reload the page and try again.")


@pages.get("/feedback/status", response_class=HTMLResponse)
async def status_page(request: Request) -> HTMLResponse:
    return render(request, "complaints/status.html", {"names": NAMES})


@pages.post("/feedback/status", response_class=HTMLResponse)
async def status_lookup(
    request: Request,
    uow: Uow,
    lang: Lang,
    clock: AppClock,
    number: Annotated[str, Form(max_length=40)] = "",
    phone: Annotated[str, Form(max_length=40)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> HTMLResponse:
    _check_form(request, csrf_token)
    context: dict[str, object] = {"names": NAMES, "number": number, "zone": clock.zone}
    try:
        context["found"] = await service.check_status_with_phone(uow, number=number, phone=phone)
    except ComplaintError as exc:
        context["error"] = gettext(lang, exc.message)
        return render(request, "complaints/status.html", context, status_code=exc.status_code)
    return render(request, "complaints/status.html", context)


@pages.get("/feedback", response_class=HTMLResponse)
async def submit_page(request: Request) -> HTMLResponse:
    return render(request, "complaints/submit.html", _form_context({}, None))


def _form_context(values: dict[str, str], error: str | None) -> dict[str, object]:
    return {
        "values": values,
        "error": error,
        "kinds": list(TicketKind),
        "channels": PUBLIC_CHANNELS,
        "names": NAMES,
    }


@pages.post("/feedback", response_class=HTMLResponse)
async def submit_feedback(request: Request, uow: Uow, lang: Lang, clock: AppClock) -> HTMLResponse:
    form = await request.form()
    values = {key: str(value).strip() for key, value in form.items() if isinstance(value, str)}
    _check_form(request, values.get("csrf_token", ""))
    try:
        draft = TicketDraft(
            kind=TicketKind(values.get("kind") or "complaint"),
            source=TicketSource.WEB,
            subject=values.get("subject", ""),
            body=values.get("body", ""),
            contact_name=values.get("contact_name", ""),
            contact_phone=values.get("contact_phone") or None,
            contact_email=values.get("contact_email") or None,
            feedback_channel=FeedbackChannel(values.get("feedback_channel") or "sms"),
            language=lang,
        )
        ticket = await service.open_ticket(uow, draft=draft, clock=clock, policy=policy_of(request))
    except ComplaintError as exc:
        context = _form_context(values, gettext(lang, exc.message))
        return render(request, "complaints/submit.html", context, status_code=exc.status_code)
    except ValueError:
        context = _form_context(values, gettext(lang, "Invalid input."))
        return render(request, "complaints/submit.html", context, status_code=422)
    return render(request, "complaints/submitted.html", {"ticket": ticket})
