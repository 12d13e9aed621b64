"""Patient portal sign-in pages and the portal's session cookie (separate from staff)."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from careline.db.uow import UnitOfWork
from careline.kit.clock import Clock
from careline.kit.errors import CarelineError, NotSignedIn, PermissionDenied
from careline.membership import portal_auth
from careline.membership.portal_auth import PortalUser
from careline.web.deps import PRE_CSRF_COOKIE, AppClock, Lang, Uow, render
from careline.web.i18n import gettext

PORTAL_COOKIE = "careline_portal"
router = APIRouter(include_in_schema=False)


async def check_form(request: Request) -> dict[str, str]:
    """Return the form's text fields after checking its CSRF token against the cookie."""
    form = await request.form()
    values = {key: value for key, value in form.items() if isinstance(value, str)}
    expected = request.cookies.get(PRE_CSRF_COOKIE, "")
    given = values.get("csrf_token", "")
    if not expected or not secrets.compare_digest(expected, given):
        raise PermissionDenied(
            "The form expired or did not come from Careline; reload and try again."
        )
    return values


async def current_user(request: Request, uow: UnitOfWork, clock: Clock) -> PortalUser | None:
    """Return the signed-in member, or None."""
    token = request.cookies.get(PORTAL_COOKIE)
    if not token:
        return None
    try:
        return await portal_auth.portal_user(uow, token=token, clock=clock)
    except NotSignedIn:
        return None


def to_sign_in() -> RedirectResponse:
    return RedirectResponse("/portal/sign-in", status_code=303)


def _signed_in(token: str) -> RedirectResponse:
    response = RedirectResponse("/portal", status_code=303)
    response.set_cookie(
        PORTAL_COOKIE, token, max_age=8 * 3600, httponly=True, samesite="lax", path="/portal"
    )
    return response


def _page(request: Request, lang: str, error: str = "", **extra: object) -> HTMLResponse:
    message = gettext(lang, error) if error else ""
    context = {"error": message, "code_sent": False, "phone": "", **extra}
    return render(request, "portal/sign_in.html", context, status_code=401 if error else 200)


@router.get("/portal/sign-in")
async def sign_in_page(request: Request, lang: Lang) -> HTMLResponse:
    return _page(request, lang)


@router.post("/portal/sign-in/card", response_model=None)
async def sign_in_card(request: Request, uow: Uow, clock: AppClock, lang: Lang) -> Response:
    form = await check_form(request)
    try:
        token = await portal_auth.sign_in_with_card(
            uow, card_number=form.get("card_number", ""), pin=form.get("pin", ""), clock=clock
        )
    except CarelineError as exc:
        return _page(request, lang, exc.message)
    return _signed_in(token)


@router.post("/portal/sign-in/code-request", response_model=None)
async def request_code(request: Request, uow: Uow, clock: AppClock, lang: Lang) -> Response:
    form = await check_form(request)
    phone = form.get("phone", "")
    try:
        await portal_auth.send_sign_in_code(uow, phone=phone, clock=clock)
    except CarelineError as exc:
        return _page(request, lang, exc.message, phone=phone)
    return _page(request, lang, code_sent=True, phone=phone)


@router.post("/portal/sign-in/code", response_model=None)
async def sign_in_code(request: Request, uow: Uow, clock: AppClock, lang: Lang) -> Response:
    form = await check_form(request)
    phone = form.get("phone", "")
    try:
        token = await portal_auth.sign_in_with_code(
            uow, phone=phone, code=form.get("code", ""), clock=clock
        )
    except CarelineError as exc:
        return _page(request, lang, exc.message, phone=phone, code_sent=True)
    return _signed_in(token)


@router.post("/portal/sign-out")
async def sign_out(request: Request, uow: Uow) -> RedirectResponse:
    await check_form(request)
    token = request.cookies.get(PORTAL_COOKIE)
    if token:
        await portal_auth.sign_out(uow, token=token)
    response = to_sign_in()
    response.delete_cookie(PORTAL_COOKIE, path="/portal")
    return response
