"""The routing rules page: supervisors and admins decide which queue takes which ticket."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from careline.complaints import service
from careline.complaints.model import ComplaintError, TicketKind
from careline.complaints.names import NAMES, department_names
from careline.complaints.routing import RoutingRule, parse_keywords
from careline.directory import service as directory
from careline.staff.model import Role, StaffMember
from careline.web.deps import Lang, Uow, render, require_staff
from careline.web.i18n import gettext

pages = APIRouter(include_in_schema=False)
RuleEditor = Annotated[StaffMember, Depends(require_staff(Role.SUPERVISOR))]


async def _rules_page(
    request: Request, uow: Uow, lang: str, error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    departments = await directory.list_departments(uow)
    context = {
        "rules": await service.list_routing_rules(uow),
        "departments": departments,
        "department_names": department_names(departments, lang),
        "kinds": list(TicketKind),
        "names": NAMES,
        "error": error,
    }
    return render(request, "complaints/rules.html", context, status_code=status_code)


@pages.get("/complaints-rules", response_class=HTMLResponse)
async def rules_page(request: Request, uow: Uow, _staff: RuleEditor, lang: Lang) -> HTMLResponse:
    return await _rules_page(request, uow, lang)


@pages.post("/complaints-rules", response_class=HTMLResponse)
async def add_rule(request: Request, uow: Uow, _staff: RuleEditor, lang: Lang) -> Response:
    form = await request.form()
    values = {key: str(value).strip() for key, value in form.items() if isinstance(value, str)}
    target = values.get("target_department_id", "")
    if not target.isdigit():
        message = gettext(lang, "Choose the department that takes these tickets.")
        return await _rules_page(request, uow, lang, message, 422)
    rule = RoutingRule(
        id=0,
        target_department_id=int(target),
        priority=int(values["priority"]) if values.get("priority", "").isdigit() else 100,
        kind=TicketKind(values["kind"]) if values.get("kind") in set(TicketKind) else None,
        category=values.get("category", "")[:64],
        department_id=int(values["department_id"])
        if values.get("department_id", "").isdigit()
        else None,
        keywords=parse_keywords(values.get("keywords", ""))[:50],
    )
    await service.add_routing_rule(uow, rule=rule)
    return RedirectResponse("/complaints-rules", status_code=303)


@pages.post("/complaints-rules/{rule_id}/delete", response_class=HTMLResponse)
async def delete_rule(
    request: Request, rule_id: int, uow: Uow, _staff: RuleEditor, lang: Lang
) -> Response:
    try:
        await service.delete_routing_rule(uow, rule_id=rule_id)
    except ComplaintError as exc:
        return await _rules_page(request, uow, lang, gettext(lang, exc.message), exc.status_code)
    return RedirectResponse("/complaints-rules", status_code=303)
