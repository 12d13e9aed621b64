"""Staff pages of the membership context: look up a card, take a top-up, adjust."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from careline.kit.errors import CarelineError
from careline.kit.money import parse_yuan
from careline.membership import service
from careline.membership.model import EntryKind, InvalidAmount
from careline.staff.audit import record_access
from careline.staff.model import Role, StaffMember
from careline.web.deps import AppClock, Lang, Uow, render, require_staff
from careline.web.i18n import gettext

pages = APIRouter(include_in_schema=False)
Cashier = Annotated[StaffMember, Depends(require_staff(Role.AGENT, Role.SUPERVISOR, Role.ADMIN))]


async def _card_page(
    request: Request, uow: Uow, staff: StaffMember, clock: AppClock, number: str, error: str = ""
) -> HTMLResponse:
    context: dict[str, object] = {"number": number, "error": error, "card": None}
    if number:
        try:
            card = await service.find_card(uow, card_number=number)
        except CarelineError as exc:
            context["error"] = gettext(request.state.lang, exc.message)
        else:
            await record_access(
                uow.connection,
                staff_id=staff.id,
                action="read",
                subject="patient",
                subject_id=card.patient_id,
                context="page: member card",
            )
            today = clock.today()
            statement = await service.card_statement(
                uow,
                card_id=card.id,
                first_day=today - timedelta(days=90),
                last_day=today,
                zone=clock.zone,
            )
            await uow.commit()
            context.update(card=card, statement=statement, key=secrets.token_urlsafe(12))
    context["can_adjust"] = staff.has_any(Role.SUPERVISOR)
    return render(request, "membership/card.html", context, status_code=422 if error else 200)


@pages.get("/staff/member-cards")
async def card_page(
    request: Request, uow: Uow, staff: Cashier, clock: AppClock, lang: Lang, number: str = ""
) -> HTMLResponse:
    request.state.lang = lang
    return await _card_page(request, uow, staff, clock, number.strip())


@pages.post("/staff/member-cards/{number}/entries", response_model=None)
async def post_entry_form(
    request: Request, number: str, uow: Uow, staff: Cashier, clock: AppClock, lang: Lang
) -> HTMLResponse | RedirectResponse:
    request.state.lang = lang
    form = await request.form()
    kind = EntryKind.ADJUSTMENT if form.get("kind") == "adjustment" else EntryKind.TOP_UP
    try:
        if kind is EntryKind.ADJUSTMENT and not staff.has_any(Role.SUPERVISOR):
            raise InvalidAmount("Only supervisors may adjust a balance.")
        amount = parse_yuan(str(form.get("amount", "")))
        if form.get("direction") == "minus":
            amount = -amount
        card = await service.find_card(uow, card_number=number)
        await service.post_entry(
            uow,
            card_id=card.id,
            kind=kind,
            amount=amount,
            key=str(form.get("key", "")),
            reason=str(form.get("reason", "")) or "Top-up",
            clock=clock,
            staff_id=staff.id,
        )
    except (CarelineError, ValueError) as exc:
        message = exc.message if isinstance(exc, CarelineError) else "The amount is not valid."
        return await _card_page(request, uow, staff, clock, number, gettext(lang, message))
    return RedirectResponse(f"/staff/member-cards?number={number}", status_code=303)
