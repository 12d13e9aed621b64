"""Patient portal pages: departments and doctors with free periods, book, cancel, balance."""

from __future__ import annotations

import secrets
from datetime import date, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from careline.directory import service as directory
from careline.directory.model import SessionPeriod
from careline.kit.errors import CarelineError
from careline.membership import service as membership
from careline.scheduling import service, waitlist
from careline.scheduling.availability import free_periods
from careline.scheduling.model import BookingPolicy, Channel, SchedulingError, cancel_deadline
from careline.scheduling.portal_session import check_form, current_user, router, to_sign_in
from careline.web.deps import AppClock, Lang, Uow, render
from careline.web.i18n import gettext, translator

pages = APIRouter(include_in_schema=False)
pages.include_router(router)


def _policy(request: Request) -> BookingPolicy:
    found = getattr(request.app.state, "booking_policy", None)
    return found if isinstance(found, BookingPolicy) else service.DEFAULT_POLICY


def explain(exc: CarelineError, lang: str) -> str:
    """Return a refusal in the page's language, with its values filled in."""
    if isinstance(exc, SchedulingError):
        return translator(lang)(exc.template, **exc.values)
    return gettext(lang, exc.message)


@pages.get("/portal", response_model=None)
async def home(request: Request, uow: Uow, clock: AppClock, notice: str = "") -> Response:
    user = await current_user(request, uow, clock)
    if user is None:
        return to_sign_in()
    balance = await membership.card_balance(uow, card_id=user.card_id) if user.card_id else 0
    bookings = await service.bookings_of_patient(
        uow, patient_id=user.patient_id, since=clock.today() - timedelta(days=30)
    )
    doctors = {d.id: d for d in await directory.list_doctors(uow, include_inactive=True)}
    listing = await directory.departments_with_doctors(uow)
    offers = await waitlist.offers_to_patient(uow, patient_id=user.patient_id, clock=clock)
    context = {
        "offers": offers,
        "balance": balance,
        "bookings": list(reversed(bookings)),
        "doctors": doctors,
        "sessions": {b.session_id: b for b in bookings},
        "listing": listing,
        "notice": notice,
        "zone": clock.zone,
    }
    return render(request, "portal/home.html", context)


@pages.get("/portal/doctors/{doctor_id}", response_model=None)
async def doctor_page(request: Request, doctor_id: int, uow: Uow, clock: AppClock) -> Response:
    user = await current_user(request, uow, clock)
    if user is None:
        return to_sign_in()
    doctor = await directory.get_doctor(uow, doctor_id=doctor_id)
    views = await free_periods(
        uow, clock=clock, channel=Channel.WEB, doctor_id=doctor_id, policy=_policy(request)
    )
    context = {
        "doctor": doctor,
        "views": views,
        "zone": clock.zone,
        "key": secrets.token_urlsafe(16),
        "error": request.query_params.get("error", ""),
    }
    return render(request, "portal/doctor.html", context)


@pages.post("/portal/book", response_model=None)
async def book(request: Request, uow: Uow, clock: AppClock, lang: Lang) -> Response:
    user = await current_user(request, uow, clock)
    if user is None or user.card_id is None:
        return to_sign_in()
    form = await check_form(request)
    doctor_id = int(form.get("doctor_id", "0") or 0)
    try:
        booking = await service.book_appointment(
            uow,
            request=service.BookingRequest(
                doctor_id=doctor_id,
                day=date.fromisoformat(form.get("day", "")),
                period=SessionPeriod(form.get("period", "")),
                period_index=int(form.get("period_index", "0")),
                card_id=user.card_id,
                channel=Channel.WEB,
                idempotency_key=form.get("key", "")[:80] or secrets.token_urlsafe(16),
                waitlist_id=int(form["waitlist_id"]) if form.get("waitlist_id") else None,
            ),
            clock=clock,
            policy=_policy(request),
        )
    except (CarelineError, ValueError) as exc:
        return await _doctor_again(request, uow, clock, doctor_id, _refusal(exc, lang))
    return RedirectResponse(f"/portal/bookings/{booking.id}", status_code=303)


def _refusal(exc: Exception, lang: str) -> str:
    if isinstance(exc, CarelineError):
        return explain(exc, lang)
    return gettext(lang, "Invalid input.")


async def _doctor_again(
    request: Request, uow: Uow, clock: AppClock, doctor_id: int, error: str
) -> HTMLResponse:
    doctor = await directory.get_doctor(uow, doctor_id=doctor_id)
    views = await free_periods(
        uow, clock=clock, channel=Channel.WEB, doctor_id=doctor_id, policy=_policy(request)
    )
    context = {
        "doctor": doctor,
        "views": views,
        "zone": clock.zone,
        "error": error,
        "key": secrets.token_urlsafe(16),
    }
    return render(request, "portal/doctor.html", context, status_code=409)


@pages.get("/portal/bookings/{booking_id}", response_model=None)
async def booking_page(request: Request, booking_id: int, uow: Uow, clock: AppClock) -> Response:
    user = await current_user(request, uow, clock)
    if user is None:
        return to_sign_in()
    booking = await service.get_booking(uow, booking_id=booking_id)
    if booking.patient_id != user.patient_id:
        return RedirectResponse("/portal", status_code=303)
    return await _booking_view(request, uow, clock, booking_id, user.card_id, "")


async def _booking_view(
    request: Request, uow: Uow, clock: AppClock, booking_id: int, card_id: int | None, error: str
) -> HTMLResponse:
    booking = await service.get_booking(uow, booking_id=booking_id)
    session_doctor = await _doctor_of(uow, booking.session_id)
    balance = await membership.card_balance(uow, card_id=card_id) if card_id else 0
    context = {
        "booking": booking,
        "doctor": session_doctor,
        "balance": balance,
        "zone": clock.zone,
        "deadline": cancel_deadline(_policy(request), booking.day, clock.zone),
        "error": error,
    }
    return render(request, "portal/booking.html", context, status_code=409 if error else 200)


async def _doctor_of(uow: Uow, session_id: int) -> object:
    found = await service.get_session(uow, session_id=session_id)
    return await directory.get_doctor(uow, doctor_id=found.doctor_id, include_inactive=True)


@pages.post("/portal/bookings/{booking_id}/cancel", response_model=None)
async def cancel(
    request: Request, booking_id: int, uow: Uow, clock: AppClock, lang: Lang
) -> Response:
    user = await current_user(request, uow, clock)
    if user is None:
        return to_sign_in()
    await check_form(request)
    try:
        await service.cancel_booking(
            uow, booking_id=booking_id, clock=clock, card_id=user.card_id, policy=_policy(request)
        )
    except CarelineError as exc:
        return await _booking_view(
            request, uow, clock, booking_id, user.card_id, explain(exc, lang)
        )
    return RedirectResponse(f"/portal/bookings/{booking_id}", status_code=303)


@pages.get("/portal/statement", response_model=None)
async def statement_page(
    request: Request,
    uow: Uow,
    clock: AppClock,
    first_day: date | None = None,
    last_day: date | None = None,
) -> Response:
    user = await current_user(request, uow, clock)
    if user is None or user.card_id is None:
        return to_sign_in()
    last = last_day or clock.today()
    first = first_day or last - timedelta(days=90)
    statement = await membership.card_statement(
        uow, card_id=user.card_id, first_day=first, last_day=last, zone=clock.zone
    )
    return render(request, "portal/statement.html", {"statement": statement, "zone": clock.zone})


@pages.post("/portal/waitlist", response_model=None)
async def join_waitlist(request: Request, uow: Uow, clock: AppClock, lang: Lang) -> Response:
    user = await current_user(request, uow, clock)
    if user is None or user.card_id is None:
        return to_sign_in()
    form = await check_form(request)
    doctor_id = int(form.get("doctor_id", "0") or 0)
    try:
        session = await service.ensure_session(
            uow,
            doctor_id=doctor_id,
            day=date.fromisoformat(form.get("day", "")),
            period=form.get("period", ""),
            clock=clock,
        )
        await waitlist.join_waitlist(
            uow, session_id=session.id, card_id=user.card_id, channel=Channel.WEB, clock=clock
        )
    except (CarelineError, ValueError) as exc:
        return await _doctor_again(request, uow, clock, doctor_id, _refusal(exc, lang))
    return RedirectResponse("/portal?notice=waitlisted", status_code=303)
