"""HTTP face of the directory: the public read API, admin writes, and the HTML pages."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from careline.directory import admin, service
from careline.directory.model import (
    Article,
    Department,
    Doctor,
    Drug,
    FaxDocument,
    Hospital,
    ScheduleException,
    VisitInstruction,
    WeeklySession,
)
from careline.directory.pages_admin import pages as admin_pages
from careline.directory.pages_public import pages as public_pages
from careline.directory.schemas import (
    ArticleRead,
    ArticleWrite,
    ClinicSessionRead,
    DepartmentDetail,
    DepartmentRead,
    DepartmentWrite,
    DoctorDetail,
    DoctorRead,
    DoctorWrite,
    DocumentRead,
    DocumentWrite,
    DrugPage,
    DrugRead,
    DrugWrite,
    ExceptionRead,
    ExceptionWrite,
    HospitalRead,
    HospitalWrite,
    InstructionRead,
    InstructionWrite,
    WeeklySessionRead,
    WeeklySessionWrite,
)
from careline.directory.sessions import MAX_DAYS, local_today
from careline.kit.errors import NotFound
from careline.staff.model import Role, StaffMember
from careline.web.deps import AppClock, AppSettings, Uow, require_staff

api = APIRouter(prefix="/api/v1/directory", tags=["directory"])
pages = APIRouter(include_in_schema=False)
pages.include_router(public_pages)
pages.include_router(admin_pages)
Admin = Annotated[StaffMember, Depends(require_staff(Role.ADMIN))]
Days = Annotated[int, Query(ge=1, le=MAX_DAYS)]
FirstDay = Annotated[date | None, Query(alias="from")]


def doctor_read(doctor: Doctor) -> DoctorRead:
    """Return the API shape of a doctor, with its title in both languages."""
    labels = {"title_zh": doctor.title.label("zh-CN"), "title_en": doctor.title.label("en")}
    read: DoctorRead = DoctorRead.of(doctor, **labels)
    return read


def _sessions(rows: list[WeeklySessionWrite]) -> list[WeeklySession]:
    return [WeeklySession(**row.model_dump()) for row in rows]


@api.get("/hospital", response_model=HospitalRead)
async def get_hospital(uow: Uow) -> HospitalRead:
    """Return the hospital profile."""
    hospital = await service.get_hospital(uow)
    if hospital is None:
        raise NotFound("The hospital profile has not been entered yet.")
    read: HospitalRead = HospitalRead.of(hospital)
    return read


@api.put("/hospital", response_model=HospitalRead)
async def put_hospital(
    request: Request, body: HospitalWrite, uow: Uow, clock: AppClock, _: Admin
) -> HospitalRead:
    """Create or replace the hospital profile (admin)."""
    saved = await admin.save_hospital(uow, hospital=Hospital(**body.model_dump()), now=clock.now())
    request.app.state.hospital = saved
    read: HospitalRead = HospitalRead.of(saved)
    return read


@api.get("/departments", response_model=list[DepartmentRead])
async def list_departments(uow: Uow) -> list[DepartmentRead]:
    """List departments in display order."""
    return [DepartmentRead.of(d) for d in await service.list_departments(uow)]


@api.get("/departments/{department_id}", response_model=DepartmentDetail)
async def get_department(department_id: int, uow: Uow) -> DepartmentDetail:
    """Return a department with its active doctors."""
    department = await service.get_department(uow, department_id=department_id)
    doctors = await service.list_doctors(uow, department_id=department_id)
    detail: DepartmentDetail = DepartmentDetail.of(
        department, doctors=[doctor_read(d) for d in doctors]
    )
    return detail


@api.get("/departments/{department_id}/sessions", response_model=list[ClinicSessionRead])
async def department_sessions(
    department_id: int,
    uow: Uow,
    settings: AppSettings,
    clock: AppClock,
    first_day: FirstDay = None,
    days: Days = 7,
) -> list[ClinicSessionRead]:
    """Return the concrete clinic sessions of a department's doctors (cancelled ones marked)."""
    found = await service.department_sessions(
        uow,
        department_id=department_id,
        first_day=first_day or local_today(clock.now(), settings.zone),
        days=days,
        zone=settings.zone,
    )
    return [ClinicSessionRead.of(s) for s in found]


@api.post("/departments", response_model=DepartmentRead, status_code=201)
async def create_department(body: DepartmentWrite, uow: Uow, _: Admin) -> DepartmentRead:
    """Add a department (admin)."""
    stored = await admin.create_department(uow, department=Department(**body.model_dump()))
    read: DepartmentRead = DepartmentRead.of(stored)
    return read


@api.put("/departments/{department_id}", response_model=DepartmentRead)
async def update_department(
    department_id: int, body: DepartmentWrite, uow: Uow, _: Admin
) -> DepartmentRead:
    """Replace a department's details (admin)."""
    department = Department(**body.model_dump(), id=department_id)
    read: DepartmentRead = DepartmentRead.of(
        await admin.update_department(uow, department=department)
    )
    return read


@api.delete("/departments/{department_id}", status_code=204)
async def delete_department(department_id: int, uow: Uow, _: Admin) -> Response:
    """Delete a department without doctors (admin)."""
    await admin.delete_department(uow, department_id=department_id)
    return Response(status_code=204)


@api.get("/doctors", response_model=list[DoctorRead])
async def list_doctors(
    uow: Uow,
    department_id: int | None = None,
    q: Annotated[str, Query(max_length=64)] = "",
) -> list[DoctorRead]:
    """List active doctors, optionally of a department or matching a name, pinyin or number."""
    found = await service.list_doctors(uow, department_id=department_id, query=q)
    return [doctor_read(d) for d in found]


@api.get("/doctors/by-number/{doctor_number}", response_model=DoctorRead)
async def doctor_by_number(doctor_number: str, uow: Uow) -> DoctorRead:
    """Return the doctor with this public number."""
    return doctor_read(await service.doctor_by_number(uow, doctor_number=doctor_number))


@api.get("/doctors/{doctor_id}", response_model=DoctorDetail)
async def get_doctor(doctor_id: int, uow: Uow) -> DoctorDetail:
    """Return a doctor with their weekly clinic template."""
    doctor = await service.get_doctor(uow, doctor_id=doctor_id)
    template = await service.doctor_template(uow, doctor_id=doctor_id)
    detail = DoctorDetail.model_validate(
        {
            **doctor_read(doctor).model_dump(),
            "sessions": [WeeklySessionRead.of(s) for s in template],
        }
    )
    return detail


@api.get("/doctors/{doctor_id}/sessions", response_model=list[ClinicSessionRead])
async def doctor_sessions(
    doctor_id: int,
    uow: Uow,
    settings: AppSettings,
    clock: AppClock,
    first_day: FirstDay = None,
    days: Days = 7,
) -> list[ClinicSessionRead]:
    """Return a doctor's concrete clinic sessions from a day (default: today) for some days."""
    await service.get_doctor(uow, doctor_id=doctor_id)
    found = await service.doctor_sessions(
        uow,
        doctor_id=doctor_id,
        first_day=first_day or local_today(clock.now(), settings.zone),
        days=days,
        zone=settings.zone,
    )
    return [ClinicSessionRead.of(s) for s in found]


@api.post("/doctors", response_model=DoctorDetail, status_code=201)
async def create_doctor(body: DoctorWrite, uow: Uow, _: Admin) -> DoctorDetail:
    """Add a doctor with their weekly template (admin)."""
    values = body.model_dump(exclude={"sessions"})
    stored = await admin.create_doctor(
        uow, doctor=Doctor(**values), sessions=_sessions(body.sessions or [])
    )
    return await get_doctor(stored.id, uow)


@api.put("/doctors/{doctor_id}", response_model=DoctorDetail)
async def update_doctor(doctor_id: int, body: DoctorWrite, uow: Uow, _: Admin) -> DoctorDetail:
    """Replace a doctor's details, and their template when ``sessions`` is given (admin)."""
    doctor = Doctor(**body.model_dump(exclude={"sessions"}), id=doctor_id)
    sessions = _sessions(body.sessions) if body.sessions is not None else None
    await admin.update_doctor(uow, doctor=doctor, sessions=sessions)
    template = await service.doctor_template(uow, doctor_id=doctor_id)
    return DoctorDetail.model_validate(
        {
            **doctor_read(doctor).model_dump(),
            "sessions": [WeeklySessionRead.of(s) for s in template],
        }
    )


@api.put("/doctors/{doctor_id}/schedule", response_model=list[WeeklySessionRead])
async def put_schedule(
    doctor_id: int, body: list[WeeklySessionWrite], uow: Uow, _: Admin
) -> list[WeeklySessionRead]:
    """Replace a doctor's weekly clinic template (admin)."""
    stored = await admin.set_doctor_template(uow, doctor_id=doctor_id, sessions=_sessions(body))
    return [WeeklySessionRead.of(s) for s in stored]


@api.post("/exceptions", response_model=ExceptionRead, status_code=201)
async def add_exception(body: ExceptionWrite, uow: Uow, _: Admin) -> ExceptionRead:
    """Record leave, a stopped clinic or a hospital holiday (admin)."""
    stored = await admin.add_exception(uow, exception=ScheduleException(**body.model_dump()))
    read: ExceptionRead = ExceptionRead.of(stored)
    return read


@api.delete("/exceptions/{exception_id}", status_code=204)
async def delete_exception(exception_id: int, uow: Uow, _: Admin) -> Response:
    """Remove a schedule exception (admin)."""
    await admin.delete_exception(uow, exception_id=exception_id)
    return Response(status_code=204)


@api.get("/drugs", response_model=DrugPage)
async def search_drugs(
    uow: Uow,
    q: Annotated[str, Query(max_length=64)] = "",
    category: Annotated[str, Query(max_length=64)] = "",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> DrugPage:
    """Search drugs by code, Chinese or English name, pinyin or pinyin initials."""
    items, total = await service.search_drugs(
        uow, query=q, category=category, limit=limit, offset=offset
    )
    return DrugPage(items=[DrugRead.of(d) for d in items], total=total)


@api.get("/drugs/by-code/{code}", response_model=DrugRead)
async def drug_by_code(code: str, uow: Uow) -> DrugRead:
    """Return the drug with this code."""
    read: DrugRead = DrugRead.of(await service.drug_by_code(uow, code=code))
    return read


@api.get("/drugs/{drug_id}", response_model=DrugRead)
async def get_drug(drug_id: int, uow: Uow) -> DrugRead:
    """Return one drug."""
    read: DrugRead = DrugRead.of(await service.get_drug(uow, drug_id=drug_id))
    return read


@api.post("/drugs", response_model=DrugRead, status_code=201)
async def create_drug(body: DrugWrite, uow: Uow, _: Admin) -> DrugRead:
    """Add a drug (admin)."""
    read: DrugRead = DrugRead.of(await admin.save_drug(uow, drug=Drug(**body.model_dump())))
    return read


@api.put("/drugs/{drug_id}", response_model=DrugRead)
async def update_drug(drug_id: int, body: DrugWrite, uow: Uow, _: Admin) -> DrugRead:
    """Replace a drug's details (admin)."""
    drug = Drug(**body.model_dump(), id=drug_id)
    read: DrugRead = DrugRead.of(await admin.save_drug(uow, drug=drug))
    return read


@api.delete("/drugs/{drug_id}", status_code=204)
async def delete_drug(drug_id: int, uow: Uow, _: Admin) -> Response:
    """Delete a drug (admin)."""
    await admin.delete_entry(uow, kind="drug", entry_id=drug_id)
    return Response(status_code=204)


@api.get("/articles", response_model=list[ArticleRead])
async def list_articles(
    uow: Uow,
    language: Annotated[str | None, Query(max_length=8)] = None,
    tag: Annotated[str, Query(max_length=32)] = "",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[ArticleRead]:
    """List health articles, newest first."""
    found = await service.list_articles(uow, language=language, tag=tag, limit=limit, offset=offset)
    return [ArticleRead.of(a) for a in found]


@api.get("/articles/{article_id}", response_model=ArticleRead)
async def get_article(article_id: int, uow: Uow) -> ArticleRead:
    """Return one health article."""
    read: ArticleRead = ArticleRead.of(await service.get_article(uow, article_id=article_id))
    return read


@api.post("/articles", response_model=ArticleRead, status_code=201)
async def create_article(body: ArticleWrite, uow: Uow, _: Admin) -> ArticleRead:
    """Publish a health article (admin)."""
    article = Article(**{**body.model_dump(), "tags": tuple(body.tags)})
    read: ArticleRead = ArticleRead.of(await admin.save_article(uow, article=article))
    return read


@api.put("/articles/{article_id}", response_model=ArticleRead)
async def update_article(article_id: int, body: ArticleWrite, uow: Uow, _: Admin) -> ArticleRead:
    """Replace a health article (admin)."""
    article = Article(**{**body.model_dump(), "tags": tuple(body.tags)}, id=article_id)
    read: ArticleRead = ArticleRead.of(await admin.save_article(uow, article=article))
    return read


@api.delete("/articles/{article_id}", status_code=204)
async def delete_article(article_id: int, uow: Uow, _: Admin) -> Response:
    """Delete a health article (admin)."""
    await admin.delete_entry(uow, kind="article", entry_id=article_id)
    return Response(status_code=204)


@api.get("/instructions", response_model=list[InstructionRead])
async def list_instructions(
    uow: Uow, language: Annotated[str | None, Query(max_length=8)] = None
) -> list[InstructionRead]:
    """List visit instructions in display order."""
    return [InstructionRead.of(i) for i in await service.list_instructions(uow, language=language)]


@api.post("/instructions", response_model=InstructionRead, status_code=201)
async def create_instruction(body: InstructionWrite, uow: Uow, _: Admin) -> InstructionRead:
    """Add a visit instruction (admin)."""
    instruction = VisitInstruction(**body.model_dump())
    read: InstructionRead = InstructionRead.of(
        await admin.save_instruction(uow, instruction=instruction)
    )
    return read


@api.put("/instructions/{instruction_id}", response_model=InstructionRead)
async def update_instruction(
    instruction_id: int, body: InstructionWrite, uow: Uow, _: Admin
) -> InstructionRead:
    """Replace a visit instruction (admin)."""
    instruction = VisitInstruction(**body.model_dump(), id=instruction_id)
    read: InstructionRead = InstructionRead.of(
        await admin.save_instruction(uow, instruction=instruction)
    )
    return read


@api.delete("/instructions/{instruction_id}", status_code=204)
async def delete_instruction(instruction_id: int, uow: Uow, _: Admin) -> Response:
    """Delete a visit instruction (admin)."""
    await admin.delete_entry(uow, kind="instruction", entry_id=instruction_id)
    return Response(status_code=204)


@api.get("/documents", response_model=list[DocumentRead])
async def list_documents(uow: Uow, _: Admin) -> list[DocumentRead]:
    """List fax/print documents (admin)."""
    return [DocumentRead.of(d) for d in await service.list_documents(uow)]


@api.post("/documents", response_model=DocumentRead, status_code=201)
async def create_document(body: DocumentWrite, uow: Uow, _: Admin) -> DocumentRead:
    """Add a fax/print document (admin)."""
    document = FaxDocument(**body.model_dump())
    read: DocumentRead = DocumentRead.of(await admin.save_document(uow, document=document))
    return read


@api.put("/documents/{document_id}", response_model=DocumentRead)
async def update_document(
    document_id: int, body: DocumentWrite, uow: Uow, _: Admin
) -> DocumentRead:
    """Replace a fax/print document (admin)."""
    document = FaxDocument(**body.model_dump(), id=document_id)
    read: DocumentRead = DocumentRead.of(await admin.save_document(uow, document=document))
    return read


@api.delete("/documents/{document_id}", status_code=204)
async def delete_document(document_id: int, uow: Uow, _: Admin) -> Response:
    """Delete a fax/print document (admin)."""
    await admin.delete_entry(uow, kind="document", entry_id=document_id)
    return Response(status_code=204)
