"""Directory use cases for the public: read the hospital, its clinics, drugs and documents.

Writes (admin) live in ``careline.directory.admin``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from careline.db.uow import UnitOfWork
from careline.directory.model import (
    Article,
    Department,
    DirectoryNotFound,
    Doctor,
    Drug,
    FaxDocument,
    Hospital,
    ScheduleException,
    VisitInstruction,
    WeeklySession,
)
from careline.directory.repository import DirectoryRepository
from careline.directory.sessions import (
    ClinicSession,
    DoctorWeek,
    calendar_for,
    compute_sessions,
)

PORTAL_DAYS = 7


@dataclass(frozen=True, slots=True)
class DepartmentListing:
    department: Department
    doctors: list[Doctor]


@dataclass(frozen=True, slots=True)
class DoctorWeekView:
    doctor: Doctor
    department: Department
    template: list[WeeklySession]
    sessions: list[ClinicSession]


def _repo(uow: UnitOfWork) -> DirectoryRepository:
    return DirectoryRepository(uow.connection)


async def get_hospital(uow: UnitOfWork) -> Hospital | None:
    """Return the hospital profile, or None before one is entered."""
    return await _repo(uow).get_hospital()


async def list_departments(uow: UnitOfWork) -> list[Department]:
    """Return every department in display order."""
    return await _repo(uow).list_departments()


async def get_department(uow: UnitOfWork, *, department_id: int) -> Department:
    """Return one department or raise DirectoryNotFound."""
    found = await _repo(uow).departments.get(department_id)
    if found is None:
        raise DirectoryNotFound("No such department.", field="department_id")
    return found


async def departments_with_doctors(uow: UnitOfWork) -> list[DepartmentListing]:
    """Return each department with its active doctors."""
    repo = _repo(uow)
    by_department: dict[int, list[Doctor]] = {}
    for doctor in await repo.list_doctors(limit=100_000):
        by_department.setdefault(doctor.department_id, []).append(doctor)
    return [
        DepartmentListing(department, by_department.get(department.id, []))
        for department in await repo.list_departments()
    ]


async def list_doctors(
    uow: UnitOfWork,
    *,
    department_id: int | None = None,
    query: str = "",
    include_inactive: bool = False,
) -> list[Doctor]:
    """Return doctors, optionally of one department or matching a name/pinyin/number."""
    return await _repo(uow).list_doctors(
        department_id=department_id, query=query.strip(), active_only=not include_inactive
    )


async def get_doctor(uow: UnitOfWork, *, doctor_id: int, include_inactive: bool = False) -> Doctor:
    """Return one doctor or raise DirectoryNotFound (inactive doctors are hidden by default)."""
    found = await _repo(uow).doctors.get(doctor_id)
    if found is None or not (found.active or include_inactive):
        raise DirectoryNotFound("No such doctor.", field="doctor_id")
    return found


async def doctor_by_number(uow: UnitOfWork, *, doctor_number: str) -> Doctor:
    """Return the active doctor with this public number (phone menus) or raise."""
    found = await _repo(uow).doctor_by_number(doctor_number.strip())
    if found is None or not found.active:
        raise DirectoryNotFound("No such doctor.", field="doctor_number")
    return found


async def doctor_template(uow: UnitOfWork, *, doctor_id: int) -> list[WeeklySession]:
    """Return the doctor's weekly template rows."""
    return (await _repo(uow).templates([doctor_id]))[doctor_id]


async def doctor_exceptions(
    uow: UnitOfWork, *, doctor_id: int, since: date
) -> list[ScheduleException]:
    """Return the doctor's own exceptions that end on or after ``since``."""
    return await _repo(uow).exceptions_of_doctor(doctor_id, since)


async def list_closures(uow: UnitOfWork, *, since: date) -> list[ScheduleException]:
    """Return department-wide and hospital-wide closures ending on or after ``since``."""
    return await _repo(uow).closures(since)


async def doctor_sessions(
    uow: UnitOfWork, *, doctor_id: int, first_day: date, zone: ZoneInfo, days: int = PORTAL_DAYS
) -> list[ClinicSession]:
    """Return the doctor's concrete sessions, cancelled ones marked, for the days given."""
    doctor = await get_doctor(uow, doctor_id=doctor_id, include_inactive=True)
    return await _sessions_of(uow, [doctor], first_day=first_day, days=days, zone=zone)


async def department_sessions(
    uow: UnitOfWork,
    *,
    department_id: int,
    first_day: date,
    zone: ZoneInfo,
    days: int = PORTAL_DAYS,
) -> list[ClinicSession]:
    """Return the concrete sessions of every active doctor of a department."""
    await get_department(uow, department_id=department_id)
    doctors = await _repo(uow).list_doctors(department_id=department_id)
    return await _sessions_of(uow, doctors, first_day=first_day, days=days, zone=zone)


async def doctor_week(
    uow: UnitOfWork, *, doctor_id: int, first_day: date, zone: ZoneInfo, days: int = PORTAL_DAYS
) -> DoctorWeekView:
    """Return what a doctor's public page shows: the doctor, department, template, sessions."""
    doctor = await get_doctor(uow, doctor_id=doctor_id)
    department = await get_department(uow, department_id=doctor.department_id)
    template = await doctor_template(uow, doctor_id=doctor_id)
    sessions = await _sessions_of(uow, [doctor], first_day=first_day, days=days, zone=zone)
    return DoctorWeekView(doctor, department, template, sessions)


async def _sessions_of(
    uow: UnitOfWork, doctors: list[Doctor], *, first_day: date, days: int, zone: ZoneInfo
) -> list[ClinicSession]:
    repo = _repo(uow)
    templates = await repo.templates(doctor.id for doctor in doctors)
    last_day = first_day + timedelta(days=days - 1)
    department_ids = {doctor.department_id for doctor in doctors}
    # A department's query also returns its doctors' own and the hospital-wide exceptions.
    exceptions: dict[int, ScheduleException] = {}
    for department_id in department_ids:
        for found in await repo.exceptions_between(
            first_day, last_day, department_id=department_id
        ):
            exceptions[found.id] = found
    weeks = [DoctorWeek(d.id, d.department_id, templates[d.id]) for d in doctors]
    return compute_sessions(
        weeks,
        list(exceptions.values()),
        calendar_for(first_day, days),
        first_day=first_day,
        days=days,
        zone=zone,
    )


async def search_drugs(
    uow: UnitOfWork, *, query: str = "", category: str = "", limit: int = 50, offset: int = 0
) -> tuple[list[Drug], int]:
    """Return one page of drugs matching a code, name, pinyin or initials, and the total."""
    limit = max(1, min(limit, 200))
    return await _repo(uow).search_drugs(
        query.strip()[:64], category=category.strip(), limit=limit, offset=max(offset, 0)
    )


async def drug_categories(uow: UnitOfWork) -> list[str]:
    """Return the drug categories in use."""
    return await _repo(uow).drug_categories()


async def get_drug(uow: UnitOfWork, *, drug_id: int) -> Drug:
    """Return one drug or raise DirectoryNotFound."""
    found = await _repo(uow).drugs.get(drug_id)
    if found is None:
        raise DirectoryNotFound("No such drug.", field="drug_id")
    return found


async def drug_by_code(uow: UnitOfWork, *, code: str) -> Drug:
    """Return the drug with this code (phone menus, pharmacy) or raise DirectoryNotFound."""
    found = await _repo(uow).drug_by_code(code.strip())
    if found is None:
        raise DirectoryNotFound("No such drug.", field="code")
    return found


async def list_articles(
    uow: UnitOfWork, *, language: str | None = None, tag: str = "", limit: int = 20, offset: int = 0
) -> list[Article]:
    """Return health articles, newest first."""
    return await _repo(uow).list_articles(
        language=language, tag=tag.strip(), limit=max(1, min(limit, 100)), offset=max(offset, 0)
    )


async def get_article(uow: UnitOfWork, *, article_id: int) -> Article:
    """Return one article or raise DirectoryNotFound."""
    found = await _repo(uow).articles.get(article_id)
    if found is None:
        raise DirectoryNotFound("No such article.", field="article_id")
    return found


async def list_instructions(
    uow: UnitOfWork, *, language: str | None = None
) -> list[VisitInstruction]:
    """Return visit instructions in display order, in one language when given."""
    return await _repo(uow).list_instructions(language=language)


async def get_instruction(uow: UnitOfWork, *, instruction_id: int) -> VisitInstruction:
    """Return one visit instruction or raise DirectoryNotFound."""
    found = await _repo(uow).instructions.get(instruction_id)
    if found is None:
        raise DirectoryNotFound("No such visit instruction.", field="instruction_id")
    return found


async def list_documents(uow: UnitOfWork) -> list[FaxDocument]:
    """Return the fax/print documents by code."""
    return await _repo(uow).list_documents()


async def get_document(uow: UnitOfWork, *, document_id: int) -> FaxDocument:
    """Return one document or raise DirectoryNotFound."""
    found = await _repo(uow).documents.get(document_id)
    if found is None:
        raise DirectoryNotFound("No such document.", field="document_id")
    return found


async def document_by_code(uow: UnitOfWork, *, code: str) -> FaxDocument:
    """Return the document a caller keyed in, or raise DirectoryNotFound."""
    found = await _repo(uow).document_by_code(code.strip())
    if found is None:
        raise DirectoryNotFound("No such document.", field="code")
    return found
