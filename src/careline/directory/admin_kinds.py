"""The simple directory entries administrators edit through one generic list and form.

Each kind names its form fields once; the same description renders the form, reads it
back into an entity and fills it from a stored one. Doctors have their own pages.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from careline.db.uow import UnitOfWork
from careline.directory import admin, service
from careline.directory.forms import Form, Reader
from careline.directory.model import (
    Article,
    Department,
    Drug,
    FaxDocument,
    Hospital,
    VisitInstruction,
)
from careline.kit.money import format_yuan

LANGUAGE_OPTIONS = (("zh-CN", "Chinese"), ("en", "English"))


@dataclass(frozen=True, slots=True)
class Field:
    """One form field: ``kind`` is text, textarea, number, yuan, date, tags, select or id."""

    name: str
    label: str
    kind: str = "text"
    required: bool = False
    maxlength: int | None = None
    options: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Kind:
    slug: str
    singular: str
    title: str
    new_title: str
    cls: type[Any]
    fields: tuple[Field, ...]
    columns: tuple[str, ...]
    load_all: Callable[[UnitOfWork, str], Awaitable[list[Any]]]
    load_one: Callable[[UnitOfWork, int], Awaitable[Any]]
    save: Callable[[UnitOfWork, Any], Awaitable[Any]]
    delete: Callable[[UnitOfWork, int], Awaitable[None]]


def read_entity(kind_cls: type[Any], fields: tuple[Field, ...], form: Form, entity_id: int) -> Any:
    """Build an entity from the form; raise FormErrors for values that cannot be read."""
    reader = Reader(form, {})
    values: dict[str, Any] = {}
    for field in fields:
        values[field.name] = _read_value(reader, field)
    reader.raise_if_any()
    if "id" in {f.name for f in dataclasses.fields(kind_cls)}:
        values["id"] = entity_id
    return kind_cls(**values)


def _read_value(reader: Reader, field: Field) -> Any:
    match field.kind:
        case "number":
            return reader.integer(field.name)
        case "yuan":
            return reader.yuan(field.name)
        case "date":
            return reader.day(field.name)
        case "id":
            return reader.optional_id(field.name)
        case "tags":
            raw = reader.text(field.name).replace("，", ",")
            return tuple(tag.strip() for tag in raw.split(",") if tag.strip())
        case _:
            return reader.text(field.name)


def form_values(entity: Any, fields: tuple[Field, ...]) -> dict[str, str]:
    """Return a stored entity's values as the form shows them."""
    values: dict[str, str] = {}
    for field in fields:
        value = getattr(entity, field.name)
        if value is None:
            values[field.name] = ""
        elif field.kind == "yuan":
            values[field.name] = format_yuan(value)
        elif field.kind == "tags":
            values[field.name] = ", ".join(value)
        elif isinstance(value, date):
            values[field.name] = value.isoformat()
        else:
            values[field.name] = str(value)
    return values


HOSPITAL_FIELDS = (
    Field("name_zh", "Name (Chinese)", required=True, maxlength=200),
    Field("name_en", "Name (English)", maxlength=200),
    Field("address_zh", "Address (Chinese)", maxlength=200),
    Field("address_en", "Address (English)", maxlength=200),
    Field("main_phone", "Main phone", maxlength=64),
    Field("website", "Website", maxlength=200),
    Field("introduction_zh", "Introduction (Chinese)", "textarea", maxlength=4000),
    Field("introduction_en", "Introduction (English)", "textarea", maxlength=4000),
)


def read_hospital(form: Form) -> Hospital:
    """Read the hospital profile form."""
    hospital: Hospital = read_entity(Hospital, HOSPITAL_FIELDS, form, 0)
    return hospital


async def _departments(uow: UnitOfWork, _query: str) -> list[Any]:
    return list(await service.list_departments(uow))


async def _save_department(uow: UnitOfWork, department: Department) -> Department:
    if department.id:
        return await admin.update_department(uow, department=department)
    return await admin.create_department(uow, department=department)


async def _drugs(uow: UnitOfWork, query: str) -> list[Any]:
    return list((await service.search_drugs(uow, query=query, limit=200))[0])


async def _articles(uow: UnitOfWork, _query: str) -> list[Any]:
    return list(await service.list_articles(uow, limit=100))


async def _instructions(uow: UnitOfWork, _query: str) -> list[Any]:
    return list(await service.list_instructions(uow))


async def _documents(uow: UnitOfWork, _query: str) -> list[Any]:
    return list(await service.list_documents(uow))


def _deleter(kind: str) -> Callable[[UnitOfWork, int], Awaitable[None]]:
    async def delete(uow: UnitOfWork, entry_id: int) -> None:
        await admin.delete_entry(uow, kind=kind, entry_id=entry_id)

    return delete


async def _delete_department(uow: UnitOfWork, department_id: int) -> None:
    await admin.delete_department(uow, department_id=department_id)


KINDS: dict[str, Kind] = {
    kind.slug: kind
    for kind in (
        Kind(
            slug="departments",
            singular="department",
            title="Departments",
            new_title="Add a department",
            cls=Department,
            fields=(
                Field("name_zh", "Name (Chinese)", required=True, maxlength=64),
                Field("name_en", "Name (English)", maxlength=64),
                Field("parent_id", "Parent department", "id"),
                Field("location", "Location", maxlength=200),
                Field("phone", "Phone", maxlength=64),
                Field("opening_hours", "Opening hours", maxlength=200),
                Field("sort_order", "Sort order", "number"),
                Field("description_zh", "Description (Chinese)", "textarea", maxlength=4000),
                Field("description_en", "Description (English)", "textarea", maxlength=4000),
            ),
            columns=("name_zh", "name_en", "location", "sort_order"),
            load_all=_departments,
            load_one=lambda uow, i: service.get_department(uow, department_id=i),
            save=_save_department,
            delete=_delete_department,
        ),
        Kind(
            slug="drugs",
            singular="drug",
            title="Drugs",
            new_title="Add a drug",
            cls=Drug,
            fields=(
                Field("code", "Code", required=True, maxlength=32),
                Field("name_zh", "Name (Chinese)", required=True, maxlength=200),
                Field("name_en", "Name (English)", maxlength=200),
                Field("specification", "Specification", required=True, maxlength=200),
                Field("unit", "Unit", required=True, maxlength=16),
                Field("price", "Price (yuan)", "yuan", required=True),
                Field("category", "Category", maxlength=64),
                Field("usage_notes", "Usage notes", "textarea", maxlength=4000),
            ),
            columns=("code", "name_zh", "specification", "price"),
            load_all=_drugs,
            load_one=lambda uow, i: service.get_drug(uow, drug_id=i),
            save=lambda uow, drug: admin.save_drug(uow, drug=drug),
            delete=_deleter("drug"),
        ),
        Kind(
            slug="articles",
            singular="article",
            title="Health articles",
            new_title="Add an article",
            cls=Article,
            fields=(
                Field("title", "Title", required=True, maxlength=200),
                Field("language", "Language", "select", options=LANGUAGE_OPTIONS),
                Field("published_on", "Published on", "date", required=True),
                Field("tags", "Tags (comma separated)", "tags"),
                Field("body", "Text", "textarea", required=True, maxlength=50_000),
            ),
            columns=("title", "language", "published_on"),
            load_all=_articles,
            load_one=lambda uow, i: service.get_article(uow, article_id=i),
            save=lambda uow, article: admin.save_article(uow, article=article),
            delete=_deleter("article"),
        ),
        Kind(
            slug="instructions",
            singular="instruction",
            title="Visit instructions",
            new_title="Add a visit instruction",
            cls=VisitInstruction,
            fields=(
                Field("title", "Title", required=True, maxlength=200),
                Field("language", "Language", "select", options=LANGUAGE_OPTIONS),
                Field("sort_order", "Sort order", "number"),
                Field("body", "Text", "textarea", required=True, maxlength=4000),
            ),
            columns=("title", "language", "sort_order"),
            load_all=_instructions,
            load_one=lambda uow, i: service.get_instruction(uow, instruction_id=i),
            save=lambda uow, item: admin.save_instruction(uow, instruction=item),
            delete=_deleter("instruction"),
        ),
        Kind(
            slug="documents",
            singular="document",
            title="Fax documents",
            new_title="Add a fax document",
            cls=FaxDocument,
            fields=(
                Field("code", "Document code (digits keyed on the phone)", required=True),
                Field("title", "Title", required=True, maxlength=200),
                Field("file_path", "File path", maxlength=200),
                Field("body", "Text", "textarea", maxlength=50_000),
            ),
            columns=("code", "title", "file_path"),
            load_all=_documents,
            load_one=lambda uow, i: service.get_document(uow, document_id=i),
            save=lambda uow, document: admin.save_document(uow, document=document),
            delete=_deleter("document"),
        ),
    )
}
