"""Directory use cases for administrators: create, change and delete entries.

Every use case validates everything before writing anything and commits once at the end,
so a refused change leaves the database as it was.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from careline.db.uow import UnitOfWork
from careline.directory.model import (
    Article,
    Department,
    DirectoryNotFound,
    Doctor,
    Drug,
    FaxDocument,
    Hospital,
    InvalidDirectoryInput,
    ScheduleException,
    VisitInstruction,
    WeeklySession,
)
from careline.directory.repository import DirectoryRepository, Store
from careline.directory.validation import (
    validate_article,
    validate_department,
    validate_doctor,
    validate_document,
    validate_drug,
    validate_exception,
    validate_hospital,
    validate_instruction,
    validate_weekly_sessions,
)

E = TypeVar("E")
UNKNOWN_DEPARTMENT = "Unknown department."


def _repo(uow: UnitOfWork) -> DirectoryRepository:
    return DirectoryRepository(uow.connection)


async def _must_exist(store: Store[Any], entity_id: int, message: str) -> None:
    if await store.get(entity_id) is None:
        raise DirectoryNotFound(message)


async def save_hospital(uow: UnitOfWork, *, hospital: Hospital, now: datetime) -> Hospital:
    """Create or replace the hospital profile."""
    hospital = validate_hospital(hospital)
    await _repo(uow).save_hospital(hospital, now)
    await uow.commit()
    return hospital


async def _check_department_links(repo: DirectoryRepository, department: Department) -> None:
    other = await repo.department_by_name(department.name_zh)
    if other is not None and other.id != department.id:
        raise InvalidDirectoryInput({"name_zh": "A department with this name exists."})
    if department.parent_id is not None:
        if await repo.departments.get(department.parent_id) is None:
            raise InvalidDirectoryInput({"parent_id": UNKNOWN_DEPARTMENT})
        if department.id and await _is_descendant(repo, department.parent_id, department.id):
            raise InvalidDirectoryInput({"parent_id": "A department cannot be under itself."})


async def _is_descendant(repo: DirectoryRepository, candidate: int, ancestor: int) -> bool:
    parents = {d.id: d.parent_id for d in await repo.list_departments()}
    seen: set[int] = set()
    current: int | None = candidate
    while current is not None and current not in seen:
        if current == ancestor:
            return True
        seen.add(current)
        current = parents.get(current)
    return False


async def create_department(uow: UnitOfWork, *, department: Department) -> Department:
    """Add a department."""
    repo = _repo(uow)
    department = validate_department(department)
    await _check_department_links(repo, department)
    stored = await repo.departments.add(department)
    await uow.commit()
    return stored


async def update_department(uow: UnitOfWork, *, department: Department) -> Department:
    """Change a department."""
    repo = _repo(uow)
    department = validate_department(department)
    await _must_exist(repo.departments, department.id, "No such department.")
    await _check_department_links(repo, department)
    await repo.departments.update(department)
    await uow.commit()
    return department


async def delete_department(uow: UnitOfWork, *, department_id: int) -> None:
    """Delete a department that has no doctors left (its sub-departments move up)."""
    repo = _repo(uow)
    await _must_exist(repo.departments, department_id, "No such department.")
    if await repo.list_doctors(department_id=department_id, active_only=False, limit=1):
        raise InvalidDirectoryInput({"department_id": "Move or delete its doctors first."})
    await repo.departments.delete(department_id)
    await uow.commit()


async def _checked_doctor(
    repo: DirectoryRepository, doctor: Doctor, sessions: Sequence[WeeklySession] | None
) -> tuple[Doctor, list[WeeklySession] | None]:
    errors: dict[str, str] = {}
    try:
        doctor = validate_doctor(doctor)
    except InvalidDirectoryInput as exc:
        errors.update(exc.errors)
    checked: list[WeeklySession] | None = None
    if sessions is not None:
        try:
            checked = validate_weekly_sessions(sessions)
        except InvalidDirectoryInput as exc:
            errors.update(exc.errors)
    if await repo.departments.get(doctor.department_id) is None:
        errors.setdefault("department_id", UNKNOWN_DEPARTMENT)
    other = await repo.doctor_by_number(doctor.doctor_number) if doctor.doctor_number else None
    if other is not None and other.id != doctor.id:
        errors.setdefault("doctor_number", "Another doctor has this number.")
    if errors:
        raise InvalidDirectoryInput(errors)
    return doctor, checked


async def create_doctor(
    uow: UnitOfWork, *, doctor: Doctor, sessions: Sequence[WeeklySession] = ()
) -> Doctor:
    """Add a doctor together with their weekly clinic template."""
    repo = _repo(uow)
    doctor, checked = await _checked_doctor(repo, doctor, sessions)
    stored = await repo.doctors.add(doctor)
    await repo.replace_template(stored.id, checked or [])
    await uow.commit()
    return stored


async def update_doctor(
    uow: UnitOfWork, *, doctor: Doctor, sessions: Sequence[WeeklySession] | None = None
) -> Doctor:
    """Change a doctor; replace the weekly template too when ``sessions`` is given."""
    repo = _repo(uow)
    await _must_exist(repo.doctors, doctor.id, "No such doctor.")
    doctor, checked = await _checked_doctor(repo, doctor, sessions)
    await repo.doctors.update(doctor)
    if checked is not None:
        await repo.replace_template(doctor.id, checked)
    await uow.commit()
    return doctor


async def set_doctor_template(
    uow: UnitOfWork, *, doctor_id: int, sessions: Sequence[WeeklySession]
) -> list[WeeklySession]:
    """Replace a doctor's weekly clinic template."""
    repo = _repo(uow)
    await _must_exist(repo.doctors, doctor_id, "No such doctor.")
    stored = await repo.replace_template(doctor_id, validate_weekly_sessions(sessions))
    await uow.commit()
    return stored


async def deactivate_doctor(uow: UnitOfWork, *, doctor_id: int) -> None:
    """Hide a doctor from the public; their history stays."""
    repo = _repo(uow)
    doctor = await repo.doctors.get(doctor_id)
    if doctor is None:
        raise DirectoryNotFound("No such doctor.")
    await repo.doctors.update(dataclasses.replace(doctor, active=False))
    await uow.commit()


async def add_exception(uow: UnitOfWork, *, exception: ScheduleException) -> ScheduleException:
    """Record leave, a stopped clinic or a hospital holiday."""
    repo = _repo(uow)
    exception = validate_exception(exception)
    if exception.doctor_id is not None and await repo.doctors.get(exception.doctor_id) is None:
        raise InvalidDirectoryInput({"doctor_id": "Unknown doctor."})
    if exception.department_id is not None:
        if await repo.departments.get(exception.department_id) is None:
            raise InvalidDirectoryInput({"department_id": UNKNOWN_DEPARTMENT})
    stored = await repo.exceptions.add(exception)
    await uow.commit()
    return stored


async def delete_exception(uow: UnitOfWork, *, exception_id: int) -> None:
    """Remove a schedule exception."""
    if not await _repo(uow).exceptions.delete(exception_id):
        raise DirectoryNotFound("No such schedule exception.")
    await uow.commit()


async def save_drug(uow: UnitOfWork, *, drug: Drug) -> Drug:
    """Add a drug (id 0) or change one."""
    repo = _repo(uow)
    drug = validate_drug(drug)
    other = await repo.drug_by_code(drug.code)
    if other is not None and other.id != drug.id:
        raise InvalidDirectoryInput({"code": "Another drug has this code."})
    stored = await _save(repo.drugs, drug, "No such drug.")
    await uow.commit()
    return stored


async def save_article(uow: UnitOfWork, *, article: Article) -> Article:
    """Add a health article (id 0) or change one."""
    stored = await _save(_repo(uow).articles, validate_article(article), "No such article.")
    await uow.commit()
    return stored


async def save_instruction(uow: UnitOfWork, *, instruction: VisitInstruction) -> VisitInstruction:
    """Add a visit instruction (id 0) or change one."""
    checked = validate_instruction(instruction)
    stored = await _save(_repo(uow).instructions, checked, "No such visit instruction.")
    await uow.commit()
    return stored


async def save_document(uow: UnitOfWork, *, document: FaxDocument) -> FaxDocument:
    """Add a fax/print document (id 0) or change one."""
    repo = _repo(uow)
    document = validate_document(document)
    other = await repo.document_by_code(document.code)
    if other is not None and other.id != document.id:
        raise InvalidDirectoryInput({"code": "Another document has this code."})
    stored = await _save(repo.documents, document, "No such document.")
    await uow.commit()
    return stored


async def _save(store: Store[E], entity: E, missing: str) -> E:
    if getattr(entity, "id") == 0:  # noqa: B009 - any entity dataclass
        return await store.add(entity)
    if not await store.update(entity):
        raise DirectoryNotFound(missing)
    return entity


async def delete_entry(uow: UnitOfWork, *, kind: str, entry_id: int) -> None:
    """Delete a drug, article, instruction or document by kind name."""
    stores: dict[str, Store[Any]] = {
        "drug": _repo(uow).drugs,
        "article": _repo(uow).articles,
        "instruction": _repo(uow).instructions,
        "document": _repo(uow).documents,
    }
    store = stores.get(kind)
    if store is None or not await store.delete(entry_id):
        raise DirectoryNotFound("No such entry.")
    await uow.commit()


__all__ = [
    "add_exception",
    "create_department",
    "create_doctor",
    "deactivate_doctor",
    "delete_department",
    "delete_entry",
    "delete_exception",
    "save_article",
    "save_document",
    "save_drug",
    "save_hospital",
    "save_instruction",
    "set_doctor_template",
    "update_department",
    "update_doctor",
]
