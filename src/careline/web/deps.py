"""FastAPI dependencies shared by every context's endpoints."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from careline.config import LANGUAGES, Settings
from careline.db.uow import UnitOfWork
from careline.kit.clock import Clock
from careline.kit.errors import NotSignedIn, PermissionDenied
from careline.staff import service as staff_service
from careline.staff.model import Role, StaffMember
from careline.web.i18n import translator
from careline.web.paths import TEMPLATES

SESSION_COOKIE = "careline_session"
LANGUAGE_COOKIE = "careline_lang"
PRE_CSRF_COOKIE = "careline_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"

templates = Jinja2Templates(directory=str(TEMPLATES))


class CsrfFailed(PermissionDenied):
    error_id = "csrf_failed"


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


async def get_uow(request: Request) -> AsyncIterator[UnitOfWork]:
    async with UnitOfWork(request.app.state.engine) as uow:
        yield uow


def get_language(request: Request) -> str:
    """Language from ?lang=, then the cookie, then the hospital's default."""
    for candidate in (request.query_params.get("lang"), request.cookies.get(LANGUAGE_COOKIE)):
        if candidate in LANGUAGES:
            return candidate
    return get_settings(request).language


Uow = Annotated[UnitOfWork, Depends(get_uow)]
Lang = Annotated[str, Depends(get_language)]
AppSettings = Annotated[Settings, Depends(get_settings)]
AppClock = Annotated[Clock, Depends(get_clock)]


def _session_token(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    return request.cookies.get(SESSION_COOKIE)


async def optional_staff(request: Request, uow: Uow, clock: AppClock) -> StaffMember | None:
    """Return the signed-in staff member, if any, and remember the session's CSRF token."""
    if hasattr(request.state, "staff"):
        cached: StaffMember | None = getattr(request.state, "staff", None)
        return cached
    token = _session_token(request)
    found = await staff_service.session_staff(uow, token=token, clock=clock) if token else None
    staff = found[0] if found else None
    request.state.staff = staff
    request.state.csrf_token = found[1] if found else None
    return staff


OptionalStaff = Annotated[StaffMember | None, Depends(optional_staff)]


def require_staff(*roles: Role) -> Callable[..., Coroutine[Any, Any, StaffMember]]:
    """Depend on a signed-in staff member holding one of ``roles`` (admins hold all)."""

    async def dependency(request: Request, staff: OptionalStaff) -> StaffMember:
        if staff is None:
            raise NotSignedIn("Please sign in first.")
        if not staff.has_any(*roles):
            raise PermissionDenied("Your role does not allow this.")
        await _check_csrf(request)
        return staff

    return dependency


CurrentStaff = Annotated[StaffMember, Depends(require_staff())]


async def _check_csrf(request: Request) -> None:
    """Refuse cookie-authenticated writes without the session's CSRF token."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        return
    expected = getattr(request.state, "csrf_token", None)
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not expected or not given or not secrets.compare_digest(expected, given):
        raise CsrfFailed("The form expired or did not come from Careline; reload and try again.")


def pre_session_csrf(request: Request) -> str:
    """The CSRF token for forms shown before sign-in (double-submit cookie)."""
    token: str | None = getattr(request.state, "pre_csrf", None)
    if token is None:
        token = request.cookies.get(PRE_CSRF_COOKIE) or secrets.token_urlsafe(24)
        request.state.pre_csrf = token
    return token


def _hospital_name(request: Request, language: str) -> str | None:
    """The hospital's name for the header, once the directory has a profile."""
    hospital = getattr(request.app.state, "hospital", None)
    return hospital.name(language) if hospital is not None else None


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """Render a page in the request's language with the CSRF field and the staff member."""
    language = get_language(request)
    csrf = getattr(request.state, "csrf_token", None) or pre_session_csrf(request)
    values: dict[str, Any] = {
        "request": request,
        "lang": language,
        "_": translator(language),
        "staff": getattr(request.state, "staff", None),
        "csrf_token": csrf,
        "csrf_field": lambda: Markup(
            f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(csrf)}">'
        ),
        "hospital_name": _hospital_name(request, language),
    }
    values.update(context or {})
    response = templates.TemplateResponse(request, template, values, status_code=status_code)
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE, language, max_age=365 * 86400, samesite="lax", httponly=True
        )
    if getattr(request.state, "pre_csrf", None) and not request.cookies.get(PRE_CSRF_COOKIE):
        response.set_cookie(
            PRE_CSRF_COOKIE, request.state.pre_csrf, samesite="strict", httponly=True
        )
    return response
