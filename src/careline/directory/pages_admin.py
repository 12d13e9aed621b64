"""Admin pages of the directory: hospital profile, doctors with their clinics, other entries.

Every refused form is shown again with what was typed and the errors next to the fields;
a saved one redirects (303) so a reload does not post twice.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from careline.db.uow import UnitOfWork
from careline.directory import admin, service
from careline.directory.admin_kinds import (
    HOSPITAL_FIELDS,
    KINDS,
    Kind,
    form_values,
    read_entity,
    read_hospital,
)
from careline.directory.forms import (
    FormErrors,
    read_doctor,
    read_exception,
    renumber_errors,
    session_form_rows,
    submitted_rows,
)
from careline.directory.model import (
    WEEKDAY_LABELS,
    ClinicType,
    Doctor,
    DoctorTitle,
    ExceptionKind,
    InvalidDirectoryInput,
    SessionPeriod,
)
from careline.directory.sessions import local_today
from careline.kit.errors import NotFound
from careline.kit.money import format_yuan
from careline.staff.model import Role, StaffMember
from careline.web.deps import AppClock, AppSettings, Lang, Uow, render, require_staff
from careline.web.i18n import gettext

pages = APIRouter(prefix="/admin/directory", include_in_schema=False)
Admin = Annotated[StaffMember, Depends(require_staff(Role.ADMIN))]
DOCTOR_FIELDS = (
    "department_id", "name", "name_en", "title", "doctor_number", "specialty_zh",
    "specialty_en", "introduction_zh", "introduction_en", "photo",
)  # fmt: skip


def _translated(errors: dict[str, str], lang: str) -> dict[str, str]:
    return {field: gettext(lang, message) for field, message in errors.items()}


def _see(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


@pages.get("", response_class=HTMLResponse)
async def overview(request: Request, uow: Uow, _: Admin) -> HTMLResponse:
    hospital = await service.get_hospital(uow)
    values = form_values(hospital, HOSPITAL_FIELDS) if hospital else {}
    context = {"kinds": KINDS, "fields": HOSPITAL_FIELDS, "values": values, "errors": {}}
    return render(request, "directory/admin_home.html", context)


@pages.post("/hospital", response_class=HTMLResponse)
async def save_hospital(
    request: Request, uow: Uow, clock: AppClock, lang: Lang, _: Admin
) -> Response:
    form = await _form(request)
    try:
        saved = await admin.save_hospital(uow, hospital=read_hospital(form), now=clock.now())
        request.app.state.hospital = saved
    except (FormErrors, InvalidDirectoryInput) as exc:
        context = {
            "kinds": KINDS,
            "fields": HOSPITAL_FIELDS,
            "values": form,
            "errors": _translated(exc.errors, lang),
        }
        return render(request, "directory/admin_home.html", context, status_code=422)
    return _see("/admin/directory?saved=hospital")


# -- doctors (registered before the generic kinds so /doctors is not taken as a kind) --


def _doctor_choices(lang: str) -> dict[str, Any]:
    return {
        "titles": [(t.value, t.label(lang)) for t in DoctorTitle],
        "periods": [(p.value, p.label(lang)) for p in SessionPeriod],
        "clinic_types": [(c.value, c.label(lang)) for c in ClinicType],
        "weekdays": [(str(i), label[0 if lang == "zh-CN" else 1]) for i, label in
                     enumerate(WEEKDAY_LABELS)],
        "exception_kinds": [(k.value, k.label(lang)) for k in ExceptionKind],
    }  # fmt: skip


async def _doctor_page(
    request: Request,
    uow: UnitOfWork,
    lang: str,
    *,
    doctor: Doctor | None,
    values: dict[str, str],
    rows: list[dict[str, str]],
    errors: dict[str, str],
    today: date,
    status_code: int = 200,
) -> HTMLResponse:
    exceptions = []
    if doctor is not None and doctor.id:
        exceptions = await service.doctor_exceptions(uow, doctor_id=doctor.id, since=today)
    context = {
        "doctor": doctor,
        "values": values,
        "rows": rows,
        "errors": errors,
        "departments": await service.list_departments(uow),
        "exceptions": exceptions,
        "today": today,
        **_doctor_choices(lang),
    }
    return render(request, "directory/admin_doctor.html", context, status_code=status_code)


@pages.get("/doctors", response_class=HTMLResponse)
async def doctors_list(request: Request, uow: Uow, _: Admin, q: str = "") -> HTMLResponse:
    doctors = await service.list_doctors(uow, query=q[:64], include_inactive=True)
    departments = {d.id: d for d in await service.list_departments(uow)}
    context = {"doctors": doctors, "departments": departments, "q": q}
    return render(request, "directory/admin_doctors.html", context)


@pages.get("/doctors/new", response_class=HTMLResponse)
async def doctor_new(
    request: Request, uow: Uow, lang: Lang, settings: AppSettings, clock: AppClock, _: Admin
) -> HTMLResponse:
    values = {"title": DoctorTitle.ATTENDING.value, "active": "on"}
    return await _doctor_page(
        request, uow, lang, doctor=None, values=values, rows=session_form_rows([]),
        errors={}, today=local_today(clock.now(), settings.zone),
    )  # fmt: skip


@pages.get("/doctors/{doctor_id}", response_class=HTMLResponse)
async def doctor_edit(
    request: Request,
    doctor_id: int,
    uow: Uow,
    lang: Lang,
    settings: AppSettings,
    clock: AppClock,
    _: Admin,
) -> HTMLResponse:
    doctor = await service.get_doctor(uow, doctor_id=doctor_id, include_inactive=True)
    values = {name: str(getattr(doctor, name)) for name in DOCTOR_FIELDS}
    values["active"] = "on" if doctor.active else ""
    template = await service.doctor_template(uow, doctor_id=doctor_id)
    return await _doctor_page(
        request, uow, lang, doctor=doctor, values=values, rows=session_form_rows(template),
        errors={}, today=local_today(clock.now(), settings.zone),
    )  # fmt: skip


@pages.post("/doctors", response_class=HTMLResponse)
async def doctor_create(
    request: Request, uow: Uow, lang: Lang, settings: AppSettings, clock: AppClock, _: Admin
) -> Response:
    return await _save_doctor(request, uow, lang, 0, local_today(clock.now(), settings.zone))


@pages.post("/doctors/{doctor_id}", response_class=HTMLResponse)
async def doctor_update(
    request: Request,
    doctor_id: int,
    uow: Uow,
    lang: Lang,
    settings: AppSettings,
    clock: AppClock,
    _: Admin,
) -> Response:
    await service.get_doctor(uow, doctor_id=doctor_id, include_inactive=True)
    today = local_today(clock.now(), settings.zone)
    return await _save_doctor(request, uow, lang, doctor_id, today)


async def _save_doctor(
    request: Request, uow: UnitOfWork, lang: str, doctor_id: int, today: date
) -> Response:
    form = await _form(request)
    sessions: list[Any] = []
    try:
        doctor, sessions = read_doctor(form, doctor_id)
        if doctor_id:
            saved = await admin.update_doctor(uow, doctor=doctor, sessions=sessions)
        else:
            saved = await admin.create_doctor(uow, doctor=doctor, sessions=sessions)
    except (FormErrors, InvalidDirectoryInput) as exc:
        errors = renumber_errors(exc.errors, sessions)
        existing = None
        if doctor_id:
            existing = await service.get_doctor(uow, doctor_id=doctor_id, include_inactive=True)
        return await _doctor_page(
            request, uow, lang, doctor=existing, values=form, rows=submitted_rows(form),
            errors=_translated(errors, lang), today=today, status_code=422,
        )  # fmt: skip
    return _see(f"/admin/directory/doctors/{saved.id}?saved=1")


@pages.post("/doctors/{doctor_id}/exceptions", response_class=HTMLResponse)
async def exception_add(
    request: Request,
    doctor_id: int,
    uow: Uow,
    lang: Lang,
    settings: AppSettings,
    clock: AppClock,
    _: Admin,
) -> Response:
    doctor = await service.get_doctor(uow, doctor_id=doctor_id, include_inactive=True)
    form = await _form(request)
    try:
        await admin.add_exception(uow, exception=read_exception(form, doctor_id))
    except (FormErrors, InvalidDirectoryInput) as exc:
        values = {name: str(getattr(doctor, name)) for name in DOCTOR_FIELDS}
        values["active"] = "on" if doctor.active else ""
        values.update({f"exception_{key}": value for key, value in form.items()})
        errors = {f"exception_{key}": msg for key, msg in _translated(exc.errors, lang).items()}
        template = await service.doctor_template(uow, doctor_id=doctor_id)
        return await _doctor_page(
            request, uow, lang, doctor=doctor, values=values, rows=session_form_rows(template),
            errors=errors, today=local_today(clock.now(), settings.zone), status_code=422,
        )  # fmt: skip
    return _see(f"/admin/directory/doctors/{doctor_id}#exceptions")


@pages.post("/doctors/{doctor_id}/exceptions/{exception_id}/delete")
async def exception_delete(doctor_id: int, exception_id: int, uow: Uow, _: Admin) -> Response:
    await admin.delete_exception(uow, exception_id=exception_id)
    return _see(f"/admin/directory/doctors/{doctor_id}#exceptions")


# -- closures: a department's or the whole hospital's stopped clinics and holidays -----


async def _closures_page(
    request: Request,
    uow: UnitOfWork,
    lang: str,
    today: date,
    *,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> HTMLResponse:
    context = {
        "closures": await service.list_closures(uow, since=today),
        "departments": {d.id: d for d in await service.list_departments(uow)},
        "values": values,
        "errors": errors,
        "today": today,
        **_doctor_choices(lang),
    }
    return render(request, "directory/admin_closures.html", context, status_code=status_code)


@pages.get("/closures", response_class=HTMLResponse)
async def closures(
    request: Request, uow: Uow, lang: Lang, settings: AppSettings, clock: AppClock, _: Admin
) -> HTMLResponse:
    today = local_today(clock.now(), settings.zone)
    values = {"kind": "holiday", "first_day": today.isoformat()}
    return await _closures_page(request, uow, lang, today, values=values, errors={})


@pages.post("/closures", response_class=HTMLResponse)
async def closure_add(
    request: Request, uow: Uow, lang: Lang, settings: AppSettings, clock: AppClock, _: Admin
) -> Response:
    form = await _form(request)
    try:
        await admin.add_exception(uow, exception=read_exception(form, doctor_id=None))
    except (FormErrors, InvalidDirectoryInput) as exc:
        today = local_today(clock.now(), settings.zone)
        return await _closures_page(
            request, uow, lang, today, values=form, errors=_translated(exc.errors, lang),
            status_code=422,
        )  # fmt: skip
    return _see("/admin/directory/closures?saved=1")


@pages.post("/closures/{exception_id}/delete")
async def closure_delete(exception_id: int, uow: Uow, _: Admin) -> Response:
    await admin.delete_exception(uow, exception_id=exception_id)
    return _see("/admin/directory/closures?deleted=1")


# -- generic entries: departments, drugs, articles, instructions, documents ------------


def _kind(slug: str) -> Kind:
    kind = KINDS.get(slug)
    if kind is None:
        raise NotFound("No such page.")
    return kind


async def _choices(uow: UnitOfWork, kind: Kind, lang: str, own_id: int = 0) -> dict[str, Any]:
    if kind.slug != "departments":
        return {}
    departments = await service.list_departments(uow)
    return {"parent_id": [(str(d.id), d.name(lang)) for d in departments if d.id != own_id]}


async def _entry_page(
    request: Request,
    uow: UnitOfWork,
    lang: str,
    kind: Kind,
    *,
    entry_id: int,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> HTMLResponse:
    context = {
        "kind": kind,
        "entry_id": entry_id,
        "values": values,
        "errors": errors,
        "choices": await _choices(uow, kind, lang, entry_id),
    }
    return render(request, "directory/admin_entry.html", context, status_code=status_code)


@pages.get("/{slug}", response_class=HTMLResponse)
async def entries(request: Request, slug: str, uow: Uow, _: Admin, q: str = "") -> HTMLResponse:
    kind = _kind(slug)
    rows = await kind.load_all(uow, q[:64])
    context = {"kind": kind, "rows": rows, "q": q, "yuan": format_yuan}
    return render(request, "directory/admin_entries.html", context)


@pages.get("/{slug}/new", response_class=HTMLResponse)
async def entry_new(request: Request, slug: str, uow: Uow, lang: Lang, _: Admin) -> HTMLResponse:
    kind = _kind(slug)
    values = {"language": lang, "published_on": ""}
    return await _entry_page(request, uow, lang, kind, entry_id=0, values=values, errors={})


@pages.get("/{slug}/{entry_id}", response_class=HTMLResponse)
async def entry_edit(
    request: Request, slug: str, entry_id: int, uow: Uow, lang: Lang, _: Admin
) -> HTMLResponse:
    kind = _kind(slug)
    values = form_values(await kind.load_one(uow, entry_id), kind.fields)
    return await _entry_page(request, uow, lang, kind, entry_id=entry_id, values=values, errors={})


@pages.post("/{slug}", response_class=HTMLResponse)
async def entry_create(request: Request, slug: str, uow: Uow, lang: Lang, _: Admin) -> Response:
    return await _save_entry(request, uow, lang, _kind(slug), 0)


@pages.post("/{slug}/{entry_id}", response_class=HTMLResponse)
async def entry_update(
    request: Request, slug: str, entry_id: int, uow: Uow, lang: Lang, _: Admin
) -> Response:
    kind = _kind(slug)
    await kind.load_one(uow, entry_id)
    return await _save_entry(request, uow, lang, kind, entry_id)


async def _save_entry(
    request: Request, uow: UnitOfWork, lang: str, kind: Kind, entry_id: int
) -> Response:
    form = await _form(request)
    try:
        await kind.save(uow, read_entity(kind.cls, kind.fields, form, entry_id))
    except (FormErrors, InvalidDirectoryInput) as exc:
        return await _entry_page(
            request, uow, lang, kind, entry_id=entry_id, values=form,
            errors=_translated(exc.errors, lang), status_code=422,
        )  # fmt: skip
    return _see(f"/admin/directory/{kind.slug}?saved=1")


@pages.post("/{slug}/{entry_id}/delete", response_class=HTMLResponse)
async def entry_delete(
    request: Request, slug: str, entry_id: int, uow: Uow, lang: Lang, _: Admin
) -> Response:
    kind = _kind(slug)
    try:
        await kind.delete(uow, entry_id)
    except InvalidDirectoryInput as exc:
        values = form_values(await kind.load_one(uow, entry_id), kind.fields)
        errors = _translated({"delete": exc.message}, lang)
        return await _entry_page(
            request, uow, lang, kind, entry_id=entry_id, values=values, errors=errors,
            status_code=exc.status_code,
        )  # fmt: skip
    return _see(f"/admin/directory/{kind.slug}?deleted=1")
