"""SQL expressions the patient repository composes: search conditions, child rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from careline.patients.search import SearchKind, SearchTerms
from careline.patients.tables import patient_consents, patient_phones, patient_tags, patients

# Sorts after every valid character, so "prefix <= x < prefix + _TOP" is a prefix range.
_TOP = "\U0010ffff"


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_condition(
    dialect: str, terms: SearchTerms, card_patient_ids: Sequence[int]
) -> tuple[sa.ColumnElement[bool], list[Any]]:
    """Return the WHERE condition and ORDER BY columns for one classified search."""
    value = terms.value
    match terms.kind:
        case SearchKind.ALL:
            return sa.true(), [patients.c.id.desc()]
        case SearchKind.ID_NUMBER:
            return patients.c.id_number == value, []
        case SearchKind.PHONE:
            ids = sa.select(patient_phones.c.patient_id).where(patient_phones.c.e164 == value)
            return patients.c.id.in_(ids), []
        case SearchKind.CARD:
            return patients.c.id.in_(list(card_patient_ids)), []
        case SearchKind.NAME:
            return prefix(dialect, patients.c.name, value), [patients.c.name]
        case SearchKind.PINYIN:
            condition = sa.or_(
                prefix(dialect, patients.c.name_pinyin, value),
                prefix(dialect, patients.c.name_initials, value),
            )
            return condition, [patients.c.name_pinyin]
    return contains(value), [patients.c.name]


def prefix(dialect: str, column: sa.Column[Any], start: str) -> sa.ColumnElement[bool]:
    """Match values starting with ``start`` in a way that can use the column's index."""
    # A range (not LIKE) so a bound parameter still allows an index range scan: SQLite
    # compares BINARY, and PostgreSQL's ~>=~ / ~<~ are the text_pattern_ops operators.
    if dialect == "postgresql":
        return sa.and_(
            column.op("~>=~", is_comparison=True)(start),
            column.op("~<~", is_comparison=True)(start + _TOP),
        )
    return sa.and_(column >= start, column < start + _TOP)


def contains(text: str) -> sa.ColumnElement[bool]:
    """Free text anywhere in name, address, email, notes or (4+ digits) a phone: a scan."""
    pattern = f"%{escape_like(text)}%"
    conditions = [
        patients.c.name.like(pattern, escape="\\"),
        patients.c.address.like(pattern, escape="\\"),
        patients.c.email.like(pattern, escape="\\"),
        patients.c.notes.like(pattern, escape="\\"),
    ]
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) >= 4:
        conditions.append(
            patients.c.id.in_(
                sa.select(patient_phones.c.patient_id).where(
                    patient_phones.c.e164.like(f"%{digits}%")
                )
            )
        )
    return sa.or_(*conditions)


def _children_query() -> sa.CompoundSelect[Any]:
    """Phones, tags and consents of the patients in ``:ids``, in one round trip.

    Consents come first so the union's column types (timestamps, booleans) are theirs.
    """
    ids: sa.BindParameter[list[int]] = sa.bindparam("ids", expanding=True)
    consents = sa.select(
        sa.literal("c").label("kind"),
        patient_consents.c.patient_id,
        patient_consents.c.topic.label("a"),
        patient_consents.c.source.label("b"),
        sa.cast(sa.null(), sa.SmallInteger).label("n"),
        patient_consents.c.granted,
        patient_consents.c.at,
    ).where(patient_consents.c.patient_id.in_(ids))
    phones = sa.select(
        sa.literal("p"),
        patient_phones.c.patient_id,
        patient_phones.c.e164,
        patient_phones.c.label,
        patient_phones.c.position,
        sa.null(),
        sa.null(),
    ).where(patient_phones.c.patient_id.in_(ids))
    tags = sa.select(
        sa.literal("t"),
        patient_tags.c.patient_id,
        patient_tags.c.tag,
        sa.null(),
        patient_tags.c.position,
        sa.null(),
        sa.null(),
    ).where(patient_tags.c.patient_id.in_(ids))
    union = sa.union_all(consents, phones, tags)
    return union.order_by(
        union.selected_columns.kind,
        union.selected_columns.patient_id,
        union.selected_columns.n,
        union.selected_columns.a,
    )


# Built once: constructing these per lookup cost more than running them.
CHILDREN = _children_query()
BY_IDS = patients.select().where(patients.c.id.in_(sa.bindparam("ids", expanding=True)))
BY_ID_NUMBER = patients.select().where(patients.c.id_number == sa.bindparam("id_number"))
BY_PHONE = (
    patients.select()
    .where(
        patients.c.id.in_(
            sa.select(patient_phones.c.patient_id).where(
                patient_phones.c.e164 == sa.bindparam("e164")
            )
        ),
        patients.c.merged_into_id.is_(None),
    )
    .order_by(patients.c.id)
)
