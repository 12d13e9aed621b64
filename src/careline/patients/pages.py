"""Staff HTML pages for patients: search, view (audited), create/edit, duplicates, merge."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from careline.kit.phones import mask_phone
from careline.kit.resident_id import mask_resident_id
from careline.patients import service
from careline.patients.model import (
    MAX_PHONES,
    ConsentSource,
    ConsentTopic,
    ContactChannel,
    DuplicateIdNumber,
    Gender,
    InvalidGuardian,
    InvalidPatient,
    Patient,
    PatientError,
    PatientLanguage,
    PhoneLabel,
    PossibleDuplicate,
)
from careline.patients.validation import PatientInput
from careline.staff.model import Role, StaffMember
from careline.web.deps import AppClock, Lang, Uow, require_staff
from careline.web.deps import render as render_page
from careline.web.i18n import gettext

pages = APIRouter(include_in_schema=False)
READERS = (Role.AGENT, Role.SUPERVISOR, Role.COMPLAINT_HANDLER, Role.DOCTOR, Role.DEPARTMENT_HEAD)
EDITORS = (Role.AGENT, Role.SUPERVISOR)
MERGERS = (Role.SUPERVISOR,)
Reader = Annotated[StaffMember, Depends(require_staff(*READERS))]
Editor = Annotated[StaffMember, Depends(require_staff(*EDITORS))]
Merger = Annotated[StaffMember, Depends(require_staff(*MERGERS))]
PAGE_SIZE = 20
# English words for stored values; the catalogs translate the words, never the slugs.
NAMES = {
    "male": "Male",
    "female": "Female",
    "unknown": "Unknown",
    "mobile": "Mobile",
    "home": "Home phone",
    "work": "Work",
    "voice": "Phone call",
    "sms": "SMS",
    "email": "Email",
    "marketing": "Marketing",
    "zh-CN": "Chinese",
    "en": "English",
    "phone_call": "Said on a phone call",
    "paper_form": "Paper form",
    "portal": "Patient portal",
    "ivr": "Voice menu",
    "sms_reply": "SMS reply",
    "import": "Imported file",
    "staff": "Entered by staff",
    "same_id_number": "Same ID number",
    "same_name_and_birth_date": "Same name and birth date",
    "same_name_and_phone": "Same name and phone",
}
_TEXT_FIELDS = (
    "name",
    "gender",
    "birth_date",
    "id_number",
    "email",
    "address",
    "guardian_id",
    "language",
    "preferred_channel",
    "consent_source",
    "notes",
    "tags",
    "version",
)


def render(
    request: Request, template: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    """Render a patients page with the display names of stored values."""
    return render_page(request, template, {"names": NAMES, **context}, status_code=status_code)


def card_resolver(request: Request) -> service.CardNumberResolver | None:
    """The membership context's card lookup, once bootstrap installs it on the app."""
    return getattr(request.app.state, "card_resolver", None)


def _choices() -> dict[str, Any]:
    return {
        "genders": list(Gender),
        "labels": list(PhoneLabel),
        "channels": list(ContactChannel),
        "languages": list(PatientLanguage),
        "topics": list(ConsentTopic),
        "sources": list(ConsentSource),
        "max_phones": MAX_PHONES,
    }


def _display(patient: Patient) -> dict[str, Any]:
    return {
        "phones": [mask_phone(p.number) for p in patient.phones],
        "id_number": mask_resident_id(patient.id_number) if patient.id_number else "",
    }


@pages.get("/admin/patients", response_class=HTMLResponse)
async def patient_list(
    request: Request, uow: Uow, _staff: Reader, q: str = "", page: int = 1
) -> HTMLResponse:
    page = max(1, min(page, 10_000))
    found = await service.search_patients(
        uow,
        query=q[:64],
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
        card_resolver=card_resolver(request),
    )
    context = {
        "q": q[:64],
        "found": found,
        "page": page,
        "has_next": found.offset + len(found.items) < found.total,
        "masked": {p.id: _display(p) for p in found.items},
    }
    partial = request.headers.get("hx-request") == "true"
    template = "patients/_results.html" if partial else "patients/list.html"
    return render(request, template, context)


@pages.get("/admin/patients/new", response_class=HTMLResponse)
async def new_patient_form(request: Request, _staff: Editor) -> HTMLResponse:
    form = {"language": "zh-CN", "preferred_channel": "voice", "consent_source": "phone_call"}
    return render(request, "patients/form.html", {"form": form, "errors": {}, **_choices()})


@pages.post("/admin/patients/new", response_class=HTMLResponse)
async def create_patient_form(
    request: Request, uow: Uow, staff: Editor, clock: AppClock, lang: Lang
) -> Response:
    form = await request.form()
    data, raw, errors = _read_form(form)
    if data is not None:
        try:
            patient = await service.register_patient(
                uow,
                data=data,
                staff_id=staff.id,
                confirmed_new=form.get("confirmed_new") == "1",
                context="POST /admin/patients/new",
                clock=clock,
            )
        except PatientError as exc:
            return await _form_again(request, uow, raw, exc, lang, patient_id=None)
        return RedirectResponse(f"/admin/patients/{patient.id}", status_code=303)
    return _render_form(request, raw, errors, lang, status_code=422)


@pages.get("/admin/patients/{patient_id}", response_class=HTMLResponse)
async def patient_view(
    request: Request, patient_id: int, uow: Uow, staff: Reader, clock: AppClock
) -> HTMLResponse:
    record = await service.get_patient(
        uow,
        patient_id=patient_id,
        staff_id=staff.id,
        context=f"GET /admin/patients/{patient_id}",
        clock=clock,
    )
    return render(
        request,
        "patients/view.html",
        {
            "record": record,
            "p": record.patient,
            "can_merge": staff.has_any(*MERGERS),
            "can_edit": staff.has_any(*EDITORS),
        },
    )


@pages.get("/admin/patients/{patient_id}/edit", response_class=HTMLResponse)
async def edit_patient_form(
    request: Request, patient_id: int, uow: Uow, staff: Editor, clock: AppClock
) -> HTMLResponse:
    record = await service.get_patient(
        uow,
        patient_id=patient_id,
        staff_id=staff.id,
        context=f"GET /admin/patients/{patient_id}/edit",
        clock=clock,
    )
    context = {"form": _form_values(record.patient), "errors": {}, "patient_id": patient_id}
    return render(request, "patients/form.html", {**context, **_choices()})


@pages.post("/admin/patients/{patient_id}/edit", response_class=HTMLResponse)
async def update_patient_form(
    request: Request, patient_id: int, uow: Uow, staff: Editor, clock: AppClock, lang: Lang
) -> Response:
    form = await request.form()
    data, raw, errors = _read_form(form)
    version = raw.get("version", "")
    if data is not None:
        try:
            await service.update_patient(
                uow,
                patient_id=patient_id,
                data=data,
                staff_id=staff.id,
                version=int(version) if version.isdigit() else None,
                context=f"POST /admin/patients/{patient_id}/edit",
                clock=clock,
            )
        except PatientError as exc:
            return await _form_again(request, uow, raw, exc, lang, patient_id=patient_id)
        return RedirectResponse(f"/admin/patients/{patient_id}", status_code=303)
    return _render_form(request, raw, errors, lang, patient_id=patient_id, status_code=422)


@pages.get("/admin/patients/{patient_id}/duplicates", response_class=HTMLResponse)
async def duplicates_page(
    request: Request, patient_id: int, uow: Uow, staff: Reader
) -> HTMLResponse:
    context = await _duplicates_context(uow, patient_id, staff)
    return render(request, "patients/duplicates.html", context)


async def _duplicates_context(uow: Uow, patient_id: int, staff: StaffMember) -> dict[str, Any]:
    candidates = await service.find_duplicates(uow, patient_id=patient_id)
    return {
        "p": (await service.list_patients(uow, patient_ids=[patient_id]))[0],
        "candidates": candidates,
        "can_merge": staff.has_any(*MERGERS),
        "masked": {c.patient.id: _display(c.patient) for c in candidates},
    }


@pages.post("/admin/patients/{patient_id}/merge", response_class=HTMLResponse)
async def merge_patient_form(
    request: Request, patient_id: int, uow: Uow, staff: Merger, clock: AppClock, lang: Lang
) -> Response:
    form = await request.form()
    duplicate = str(form.get("duplicate_id", ""))
    if form.get("confirm") != "1" or not duplicate.isdigit():
        message = gettext(lang, "Tick the box to confirm both records are the same person.")
        return await _duplicates_again(request, uow, patient_id, staff, message)
    try:
        await service.merge_patients(
            uow,
            survivor_id=patient_id,
            duplicate_id=int(duplicate),
            staff_id=staff.id,
            reason=str(form.get("reason", ""))[:256],
            clock=clock,
        )
    except PatientError as exc:
        return await _duplicates_again(request, uow, patient_id, staff, gettext(lang, exc.message))
    return RedirectResponse(f"/admin/patients/{patient_id}", status_code=303)


async def _duplicates_again(
    request: Request, uow: Uow, patient_id: int, staff: StaffMember, message: str
) -> HTMLResponse:
    context = await _duplicates_context(uow, patient_id, staff)
    return render(
        request, "patients/duplicates.html", {**context, "error": message}, status_code=409
    )


def _read_form(form: FormData) -> tuple[PatientInput | None, dict[str, str], dict[str, str]]:
    """Return the input (None when unreadable), the raw values to show again, and errors."""
    raw = {name: str(form.get(name, ""))[:8000] for name in _TEXT_FIELDS}
    for index in range(MAX_PHONES):
        raw[f"phone_{index}"] = str(form.get(f"phone_{index}", ""))[:64]
        raw[f"phone_label_{index}"] = str(form.get(f"phone_label_{index}", "mobile"))[:16]
    raw["lunar_birthday"] = "1" if form.get("lunar_birthday") == "1" else ""
    for topic in ConsentTopic:
        raw[f"consent_{topic.value}"] = "1" if form.get(f"consent_{topic.value}") == "1" else ""
    guardian = raw["guardian_id"].strip()
    if guardian and not guardian.isdigit():
        return None, raw, {"guardian_id": "Give the guardian's patient number."}
    data = PatientInput(
        name=raw["name"],
        gender=raw["gender"],
        birth_date=raw["birth_date"] or None,
        lunar_birthday=bool(raw["lunar_birthday"]),
        id_number=raw["id_number"],
        phones=[(raw[f"phone_{i}"], raw[f"phone_label_{i}"]) for i in range(MAX_PHONES)],
        email=raw["email"],
        address=raw["address"],
        guardian_id=int(guardian) if guardian else None,
        language=raw["language"] or "zh-CN",
        preferred_channel=raw["preferred_channel"] or "voice",
        consents={t.value: bool(raw[f"consent_{t.value}"]) for t in ConsentTopic},
        consent_source=raw["consent_source"] or "staff",
        notes=raw["notes"],
        tags=raw["tags"],
    )
    return data, raw, {}


def _form_values(patient: Patient) -> dict[str, str]:
    values = {
        "name": patient.name,
        "gender": patient.gender.value,
        "birth_date": patient.birth_date.isoformat() if patient.birth_date else "",
        "lunar_birthday": "1" if patient.lunar_birthday else "",
        "id_number": patient.id_number or "",
        "email": patient.email or "",
        "address": patient.address,
        "guardian_id": str(patient.guardian_id) if patient.guardian_id else "",
        "language": patient.language.value,
        "preferred_channel": patient.preferred_channel.value,
        "consent_source": "phone_call",
        "notes": patient.notes,
        "tags": ", ".join(patient.tags),
        "version": str(patient.version),
    }
    for index, phone in enumerate(patient.phones):
        values[f"phone_{index}"] = phone.number
        values[f"phone_label_{index}"] = phone.label.value
    for consent in patient.consents:
        values[f"consent_{consent.topic.value}"] = "1" if consent.granted else ""
    return values


def _field_name(name: str) -> str:
    # "phones.2" -> "phone_2" and "phones.2.label" -> "phone_label_2", as named in the form.
    parts = name.split(".")
    if parts[0] == "phones" and len(parts) == 2:
        return f"phone_{parts[1]}"
    if parts[0] == "phones" and len(parts) == 3:
        return f"phone_label_{parts[1]}"
    return name


def _render_form(
    request: Request,
    raw: dict[str, str],
    errors: dict[str, str],
    lang: str,
    *,
    patient_id: int | None = None,
    status_code: int = 200,
    extra: dict[str, Any] | None = None,
) -> HTMLResponse:
    shown = {_field_name(k): gettext(lang, v) for k, v in errors.items()}
    context = {
        "form": raw,
        "errors": shown,
        "patient_id": patient_id,
        **_choices(),
        **(extra or {}),
    }
    return render(request, "patients/form.html", context, status_code=status_code)


async def _form_again(
    request: Request,
    uow: Uow,
    raw: dict[str, str],
    exc: PatientError,
    lang: str,
    *,
    patient_id: int | None,
) -> HTMLResponse:
    """Show the form again with everything typed, the errors and any likely duplicates."""
    errors: dict[str, str] = {}
    extra: dict[str, Any] = {}
    if isinstance(exc, InvalidPatient):
        errors = exc.errors
    elif isinstance(exc, DuplicateIdNumber | InvalidGuardian):
        errors = {exc.field or "id_number": exc.message}
        extra["existing_id"] = getattr(exc, "existing_id", None)
    elif isinstance(exc, PossibleDuplicate):
        candidates = await service.list_patients(uow, patient_ids=exc.candidate_ids)
        extra["candidates"] = candidates
        extra["masked"] = {p.id: _display(p) for p in candidates}
        extra["error"] = gettext(lang, exc.message)
    else:
        extra["error"] = gettext(lang, exc.message)
    return _render_form(
        request, raw, errors, lang, patient_id=patient_id, status_code=exc.status_code, extra=extra
    )
