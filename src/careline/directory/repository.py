"""All SQL of the directory context (SQLite and PostgreSQL alike)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from careline.directory import tables as t
from careline.directory.model import (
    Article,
    ClinicType,
    Department,
    Doctor,
    DoctorTitle,
    Drug,
    ExceptionKind,
    FaxDocument,
    Hospital,
    ScheduleException,
    SessionPeriod,
    VisitInstruction,
    WeeklySession,
)
from careline.kit.text import pinyin_keys

E = TypeVar("E")
_CONVERT: dict[type[Any], dict[str, Callable[[Any], Any]]] = {
    Doctor: {"title": DoctorTitle},
    WeeklySession: {"period": SessionPeriod, "clinic_type": ClinicType},
    ScheduleException: {
        "kind": ExceptionKind,
        "period": lambda value: SessionPeriod(value) if value else None,
    },
    Article: {"tags": lambda value: tuple(tag for tag in value.split(",") if tag)},
}


def _load(cls: type[E], row: RowMapping) -> E:
    values: dict[str, Any] = {}
    converters = _CONVERT.get(cls, {})
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        value = row[field.name]
        convert = converters.get(field.name)
        values[field.name] = convert(value) if convert is not None else value
    return cls(**values)


def _dump(entity: Any, table: sa.Table) -> dict[str, Any]:
    values = {
        name: value
        for name, value in dataclasses.asdict(entity).items()
        if name != "id" and name in table.c
    }
    if "tags" in values:
        values["tags"] = ",".join(values["tags"])
    pinyin_source = values.get("name_zh", values.get("name"))
    if "name_pinyin" in table.c and isinstance(pinyin_source, str):
        values["name_pinyin"], values["name_initials"] = pinyin_keys(pinyin_source)
    return values


class Store(Generic[E]):
    """Plain row storage of one entity type in one table, keyed by integer id."""

    def __init__(self, conn: AsyncConnection, table: sa.Table, cls: type[E]) -> None:
        self.conn, self.table, self.cls = conn, table, cls

    async def get(self, entity_id: int) -> E | None:
        query = sa.select(self.table).where(self.table.c.id == entity_id)
        row = (await self.conn.execute(query)).mappings().first()
        return _load(self.cls, row) if row else None

    async def add(self, entity: E) -> E:
        query = sa.insert(self.table).values(_dump(entity, self.table)).returning(self.table.c.id)
        new_id = (await self.conn.execute(query)).scalar_one()
        return dataclasses.replace(entity, id=new_id)  # type: ignore[type-var]

    async def add_many(self, entities: Sequence[E]) -> None:
        if entities:
            rows = [_dump(entity, self.table) for entity in entities]
            await self.conn.execute(sa.insert(self.table), rows)

    async def update(self, entity: E) -> bool:
        entity_id = getattr(entity, "id")  # noqa: B009 - E is any entity dataclass
        query = (
            sa.update(self.table)
            .where(self.table.c.id == entity_id)
            .values(_dump(entity, self.table))
        )
        return (await self.conn.execute(query)).rowcount == 1

    async def delete(self, entity_id: int) -> bool:
        query = sa.delete(self.table).where(self.table.c.id == entity_id)
        return (await self.conn.execute(query)).rowcount == 1

    async def select(self, query: sa.Select[Any]) -> list[E]:
        rows = (await self.conn.execute(query)).mappings().all()
        return [_load(self.cls, row) for row in rows]

    async def count(self, *where: sa.ColumnElement[bool]) -> int:
        query = sa.select(sa.func.count()).select_from(self.table).where(*where)
        return int((await self.conn.execute(query)).scalar_one())


def _text_match(query: str, *columns: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
    needle = query.lower()
    return sa.or_(*(sa.func.lower(c).contains(needle, autoescape=True) for c in columns))


class DirectoryRepository:
    """Read and write the directory's rows on one connection."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self.departments = Store(conn, t.departments, Department)
        self.doctors = Store(conn, t.doctors, Doctor)
        self.sessions = Store(conn, t.weekly_sessions, WeeklySession)
        self.exceptions = Store(conn, t.schedule_exceptions, ScheduleException)
        self.drugs = Store(conn, t.drugs, Drug)
        self.articles = Store(conn, t.articles, Article)
        self.instructions = Store(conn, t.visit_instructions, VisitInstruction)
        self.documents = Store(conn, t.fax_documents, FaxDocument)

    async def get_hospital(self) -> Hospital | None:
        query = sa.select(t.hospital_profile).order_by(t.hospital_profile.c.id).limit(1)
        row = (await self.conn.execute(query)).mappings().first()
        return _load(Hospital, row) if row else None

    async def save_hospital(self, hospital: Hospital, now: datetime) -> None:
        values = _dump(hospital, t.hospital_profile) | {"updated_at": now}
        table = t.hospital_profile
        done = await self.conn.execute(sa.update(table).where(table.c.id == 1).values(values))
        if done.rowcount == 0:
            await self.conn.execute(sa.insert(table).values(id=1, **values))

    async def list_departments(self) -> list[Department]:
        c = t.departments.c
        return await self.departments.select(sa.select(t.departments).order_by(c.sort_order, c.id))

    async def department_by_name(self, name_zh: str) -> Department | None:
        query = sa.select(t.departments).where(t.departments.c.name_zh == name_zh)
        found = await self.departments.select(query)
        return found[0] if found else None

    async def list_doctors(
        self,
        *,
        department_id: int | None = None,
        active_only: bool = True,
        query: str = "",
        limit: int = 500,
    ) -> list[Doctor]:
        c = t.doctors.c
        select = sa.select(t.doctors)
        if department_id is not None:
            select = select.where(c.department_id == department_id)
        if active_only:
            select = select.where(c.active.is_(True))
        if query:
            select = select.where(
                _text_match(query, c.name, c.name_en, c.name_pinyin, c.name_initials)
                | (c.doctor_number == query)
            )
        return await self.doctors.select(select.order_by(c.department_id, c.id).limit(limit))

    async def doctor_by_number(self, doctor_number: str) -> Doctor | None:
        query = sa.select(t.doctors).where(t.doctors.c.doctor_number == doctor_number)
        found = await self.doctors.select(query)
        return found[0] if found else None

    async def templates(self, doctor_ids: Iterable[int]) -> dict[int, list[WeeklySession]]:
        """Return each doctor's weekly template rows, by doctor id."""
        ids = list(doctor_ids)
        c = t.weekly_sessions.c
        query = sa.select(t.weekly_sessions).where(c.doctor_id.in_(ids))
        result: dict[int, list[WeeklySession]] = {doctor_id: [] for doctor_id in ids}
        for row in await self.sessions.select(query.order_by(c.weekday, c.id)):
            result[row.doctor_id].append(row)
        return result

    async def replace_template(
        self, doctor_id: int, sessions: Sequence[WeeklySession]
    ) -> list[WeeklySession]:
        """Replace a doctor's weekly template with ``sessions``."""
        table = t.weekly_sessions
        await self.conn.execute(sa.delete(table).where(table.c.doctor_id == doctor_id))
        stored = []
        for session in sessions:
            mine = dataclasses.replace(session, doctor_id=doctor_id, id=0)
            stored.append(await self.sessions.add(mine))
        return stored

    async def exceptions_between(
        self,
        first_day: date,
        last_day: date,
        *,
        doctor_id: int | None = None,
        department_id: int | None = None,
    ) -> list[ScheduleException]:
        """Exceptions overlapping the days, for a doctor/department or hospital-wide."""
        c = t.schedule_exceptions.c
        scope = [sa.and_(c.doctor_id.is_(None), c.department_id.is_(None))]
        if doctor_id is not None:
            scope.append(c.doctor_id == doctor_id)
        if department_id is not None:
            scope.append(c.department_id == department_id)
            scope.append(c.doctor_id.in_(self._doctor_ids_of(department_id)))
        query = sa.select(t.schedule_exceptions).where(
            c.last_day >= first_day, c.first_day <= last_day, sa.or_(*scope)
        )
        return await self.exceptions.select(query.order_by(c.first_day, c.id))

    def _doctor_ids_of(self, department_id: int) -> sa.Select[tuple[int]]:
        return sa.select(t.doctors.c.id).where(t.doctors.c.department_id == department_id)

    async def exceptions_of_doctor(self, doctor_id: int, since: date) -> list[ScheduleException]:
        c = t.schedule_exceptions.c
        query = sa.select(t.schedule_exceptions).where(
            c.doctor_id == doctor_id, c.last_day >= since
        )
        return await self.exceptions.select(query.order_by(c.first_day, c.id))

    async def closures(self, since: date) -> list[ScheduleException]:
        """Department-wide and hospital-wide exceptions that end on or after ``since``."""
        c = t.schedule_exceptions.c
        query = sa.select(t.schedule_exceptions).where(c.doctor_id.is_(None), c.last_day >= since)
        return await self.exceptions.select(query.order_by(c.first_day, c.id))

    async def search_drugs(
        self, query: str = "", *, category: str = "", limit: int = 50, offset: int = 0
    ) -> tuple[list[Drug], int]:
        """Return one page of drugs matching code, name, pinyin or initials, and the total."""
        c = t.drugs.c
        where: list[sa.ColumnElement[bool]] = []
        if query:
            where.append(
                _text_match(query, c.code, c.name_zh, c.name_en, c.name_pinyin, c.name_initials)
            )
        if category:
            where.append(c.category == category)
        select = sa.select(t.drugs).where(*where).order_by(c.code).limit(limit).offset(offset)
        return await self.drugs.select(select), await self.drugs.count(*where)

    async def drug_by_code(self, code: str) -> Drug | None:
        found = await self.drugs.select(sa.select(t.drugs).where(t.drugs.c.code == code))
        return found[0] if found else None

    async def drug_categories(self) -> list[str]:
        c = t.drugs.c
        query = sa.select(c.category).where(c.category != "").distinct().order_by(c.category)
        return list((await self.conn.execute(query)).scalars())

    async def list_articles(
        self, *, language: str | None = None, tag: str = "", limit: int = 20, offset: int = 0
    ) -> list[Article]:
        c = t.articles.c
        select = sa.select(t.articles)
        if language:
            select = select.where(c.language == language)
        if tag:
            select = select.where(c.tags.contains(tag, autoescape=True))
        select = select.order_by(c.published_on.desc(), c.id.desc()).limit(limit).offset(offset)
        return await self.articles.select(select)

    async def list_instructions(self, *, language: str | None = None) -> list[VisitInstruction]:
        c = t.visit_instructions.c
        select = sa.select(t.visit_instructions)
        if language:
            select = select.where(c.language == language)
        return await self.instructions.select(select.order_by(c.sort_order, c.id))

    async def list_documents(self) -> list[FaxDocument]:
        c = t.fax_documents.c
        return await self.documents.select(sa.select(t.fax_documents).order_by(c.code))

    async def document_by_code(self, code: str) -> FaxDocument | None:
        query = sa.select(t.fax_documents).where(t.fax_documents.c.code == code)
        found = await self.documents.select(query)
        return found[0] if found else None
