"""Supervisors' pages: overdue and escalated tickets, reports with charts and CSV."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from careline.complaints import reports, service
from careline.complaints.names import NAMES, department_names
from careline.directory import service as directory
from careline.staff.model import Role, StaffMember
from careline.web.deps import AppClock, Lang, Uow, render, require_staff
from careline.web.i18n import gettext

pages = APIRouter(include_in_schema=False)
Supervisor = Annotated[StaffMember, Depends(require_staff(Role.SUPERVISOR, Role.COMPLAINT_HANDLER))]


@pages.get("/complaints-supervision", response_class=HTMLResponse)
async def supervision_page(
    request: Request, uow: Uow, _staff: Supervisor, clock: AppClock, lang: Lang
) -> HTMLResponse:
    departments = await directory.list_departments(uow)
    context = {
        "overdue": await service.list_overdue(uow, clock=clock),
        "escalated": await service.list_escalated(uow),
        "department_names": department_names(departments, lang),
        "names": NAMES,
        "levels": (service.DEFAULT_POLICY.levels),
        "zone": clock.zone,
    }
    return render(request, "complaints/supervision.html", context)


def _range(clock: AppClock, first: str, last: str) -> tuple[date, date]:
    today = clock.today()
    try:
        last_day = date.fromisoformat(last) if last else today
        first_day = date.fromisoformat(first) if first else last_day - timedelta(days=29)
    except ValueError:
        first_day, last_day = today - timedelta(days=29), today
    return first_day, last_day


@pages.get("/complaints-reports", response_class=HTMLResponse)
async def reports_page(
    request: Request,
    uow: Uow,
    _staff: Supervisor,
    clock: AppClock,
    lang: Lang,
    first: str = "",
    last: str = "",
) -> HTMLResponse:
    first_day, last_day = _range(clock, first, last)
    report = await reports.ticket_report(uow, first_day=first_day, last_day=last_day, clock=clock)
    names = department_names(await directory.list_departments(uow), lang)
    office = gettext(lang, "Complaint office")
    by_department = {
        (names.get(int(key), key) if key else office): count for key, count in report.by(0).items()
    }
    by_category = {
        (key or gettext(lang, "No category")): count for key, count in report.by(1).items()
    }
    by_kind = {gettext(lang, NAMES[key]): count for key, count in report.by(2).items()}
    by_day = {day.isoformat(): count for day, count in report.by_day.items()}
    context = {
        "report": report,
        "charts": [
            ("chart-department", gettext(lang, "By department"), reports.svg_bars(by_department)),
            ("chart-category", gettext(lang, "By category"), reports.svg_bars(by_category)),
            ("chart-kind", gettext(lang, "By kind"), reports.svg_bars(by_kind)),
            ("chart-day", gettext(lang, "By day"), reports.svg_bars(by_day)),
        ],
    }
    return render(request, "complaints/reports.html", context)


@pages.get("/complaints-reports.csv")
async def reports_csv(
    uow: Uow,
    _staff: Supervisor,
    clock: AppClock,
    lang: Lang,
    first: str = "",
    last: str = "",
) -> Response:
    first_day, last_day = _range(clock, first, last)
    report = await reports.ticket_report(uow, first_day=first_day, last_day=last_day, clock=clock)
    names = department_names(await directory.list_departments(uow), lang)
    filename = f"complaints-{report.first_day}-{report.last_day}.csv"
    return Response(
        # A byte-order mark so spreadsheet programs on Windows read the Chinese names right.
        "\ufeff" + reports.report_csv(report, names),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
