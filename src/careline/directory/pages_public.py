"""Public portal pages: the hospital, departments, doctors and their clinics, drugs, texts."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from careline.directory import service
from careline.directory.model import WEEKDAY_LABELS, Department
from careline.directory.sessions import ClinicSession, local_today
from careline.kit.money import format_yuan
from careline.web.deps import AppClock, AppSettings, Lang, Uow, render

pages = APIRouter(include_in_schema=False)
DRUGS_PER_PAGE = 30
ARTICLES_PER_PAGE = 10


async def portal(uow: Uow, lang: str, **values: Any) -> dict[str, Any]:
    """Return the context every directory page shares: the hospital and helpers."""
    hospital = await service.get_hospital(uow)
    return {
        "hospital": hospital,
        "hospital_name": hospital.name(lang) if hospital else None,
        "yuan": format_yuan,
        "weekday_name": lambda day: WEEKDAY_LABELS[day][0 if lang == "zh-CN" else 1],
        **values,
    }


def by_day(sessions: list[ClinicSession], first_day: date, days: int) -> list[dict[str, Any]]:
    """Group sessions by day, every day of the range present even when empty."""
    grouped: dict[date, list[ClinicSession]] = defaultdict(list)
    for session in sessions:
        grouped[session.day].append(session)
    result = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        result.append({"day": day, "sessions": grouped.get(day, [])})
    return result


@pages.get("/", response_class=HTMLResponse)
async def home(request: Request, uow: Uow, lang: Lang) -> HTMLResponse:
    listing = await service.departments_with_doctors(uow)
    context = await portal(uow, lang, listing=listing)
    return render(request, "directory/home.html", context)


@pages.get("/departments", response_class=HTMLResponse)
async def departments_page(request: Request, uow: Uow, lang: Lang) -> HTMLResponse:
    listing = await service.departments_with_doctors(uow)
    top = [entry for entry in listing if entry.department.parent_id is None]
    children: dict[int, list[Any]] = defaultdict(list)
    for entry in listing:
        if entry.department.parent_id is not None:
            children[entry.department.parent_id].append(entry)
    context = await portal(uow, lang, top=top, children=children)
    return render(request, "directory/departments.html", context)


@pages.get("/departments/{department_id}", response_class=HTMLResponse)
async def department_page(
    request: Request,
    department_id: int,
    uow: Uow,
    lang: Lang,
    settings: AppSettings,
    clock: AppClock,
) -> HTMLResponse:
    department = await service.get_department(uow, department_id=department_id)
    doctors = await service.list_doctors(uow, department_id=department_id)
    first_day = local_today(clock.now(), settings.zone)
    sessions = await service.department_sessions(
        uow, department_id=department_id, first_day=first_day, zone=settings.zone
    )
    parent: Department | None = None
    if department.parent_id is not None:
        parent = await service.get_department(uow, department_id=department.parent_id)
    context = await portal(
        uow,
        lang,
        department=department,
        parent=parent,
        doctors=doctors,
        doctor_names={d.id: d.display_name(lang) for d in doctors},
        days=by_day(sessions, first_day, service.PORTAL_DAYS),
    )
    return render(request, "directory/department.html", context)


@pages.get("/doctors", response_class=HTMLResponse)
async def doctors_page(
    request: Request,
    uow: Uow,
    lang: Lang,
    q: Annotated[str, Query(max_length=64)] = "",
    department_id: int | None = None,
) -> HTMLResponse:
    doctors = await service.list_doctors(uow, department_id=department_id, query=q)
    departments = {d.id: d for d in await service.list_departments(uow)}
    context = await portal(
        uow, lang, doctors=doctors, departments=departments, q=q, department_id=department_id
    )
    return render(request, "directory/doctors.html", context)


@pages.get("/doctors/{doctor_id}", response_class=HTMLResponse)
async def doctor_page(
    request: Request,
    doctor_id: int,
    uow: Uow,
    lang: Lang,
    settings: AppSettings,
    clock: AppClock,
) -> HTMLResponse:
    first_day = local_today(clock.now(), settings.zone)
    view = await service.doctor_week(
        uow, doctor_id=doctor_id, first_day=first_day, zone=settings.zone
    )
    context = await portal(
        uow, lang, view=view, days=by_day(view.sessions, first_day, service.PORTAL_DAYS)
    )
    return render(request, "directory/doctor.html", context)


@pages.get("/drugs", response_class=HTMLResponse)
async def drugs_page(
    request: Request,
    uow: Uow,
    lang: Lang,
    q: Annotated[str, Query(max_length=64)] = "",
    category: Annotated[str, Query(max_length=64)] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    drugs, total = await service.search_drugs(
        uow,
        query=q,
        category=category,
        limit=DRUGS_PER_PAGE,
        offset=(page - 1) * DRUGS_PER_PAGE,
    )
    context = await portal(
        uow,
        lang,
        drugs=drugs,
        total=total,
        q=q,
        category=category,
        categories=await service.drug_categories(uow),
        page=page,
        has_next=page * DRUGS_PER_PAGE < total,
    )
    if request.headers.get("hx-request"):
        return render(request, "directory/_drug_rows.html", context)
    return render(request, "directory/drugs.html", context)


@pages.get("/articles", response_class=HTMLResponse)
async def articles_page(
    request: Request,
    uow: Uow,
    lang: Lang,
    tag: Annotated[str, Query(max_length=32)] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    articles = await service.list_articles(
        uow,
        language=lang,
        tag=tag,
        limit=ARTICLES_PER_PAGE + 1,
        offset=(page - 1) * ARTICLES_PER_PAGE,
    )
    context = await portal(
        uow,
        lang,
        articles=articles[:ARTICLES_PER_PAGE],
        has_next=len(articles) > ARTICLES_PER_PAGE,
        page=page,
        tag=tag,
    )
    return render(request, "directory/articles.html", context)


@pages.get("/articles/{article_id}", response_class=HTMLResponse)
async def article_page(request: Request, article_id: int, uow: Uow, lang: Lang) -> HTMLResponse:
    article = await service.get_article(uow, article_id=article_id)
    context = await portal(uow, lang, article=article)
    return render(request, "directory/article.html", context)


@pages.get("/instructions", response_class=HTMLResponse)
async def instructions_page(request: Request, uow: Uow, lang: Lang) -> HTMLResponse:
    instructions = await service.list_instructions(uow, language=lang)
    context = await portal(uow, lang, instructions=instructions)
    return render(request, "directory/instructions.html", context)
