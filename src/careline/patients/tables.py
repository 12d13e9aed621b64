"""Tables of the patients context.

Lookups by phone and by resident ID number are one index probe each: ``patient_phones.e164``
(with the patient id, so the probe needs no table read) and the unique ``patients.id_number``.
Name prefixes use ``text_pattern_ops`` on PostgreSQL so ``LIKE 'x%'`` can use the index under
any database collation; on SQLite the repository uses a range on the BINARY-collated index.
"""

from __future__ import annotations

import sqlalchemy as sa

from careline.db.metadata import UtcDateTime, metadata
from careline.patients.model import MAX_ADDRESS, MAX_EMAIL, MAX_NAME, MAX_NOTES, MAX_TAG

_PATTERN_OPS = "text_pattern_ops"

patients = sa.Table(
    "patients",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(MAX_NAME), nullable=False),
    sa.Column("name_pinyin", sa.String(6 * MAX_NAME), nullable=False, default=""),
    sa.Column("name_initials", sa.String(MAX_NAME), nullable=False, default=""),
    sa.Column("gender", sa.String(8), nullable=False, default="unknown"),
    sa.Column("birth_date", sa.Date, nullable=True),
    sa.Column("lunar_birthday", sa.Boolean, nullable=False, default=False),
    sa.Column("id_number", sa.String(18), nullable=True, unique=True),
    sa.Column("email", sa.String(MAX_EMAIL), nullable=True),
    sa.Column("address", sa.String(MAX_ADDRESS), nullable=False, default=""),
    sa.Column(
        "guardian_id", sa.Integer, sa.ForeignKey("patients.id", ondelete="SET NULL"), nullable=True
    ),
    sa.Column("language", sa.String(8), nullable=False, default="zh-CN"),
    sa.Column("preferred_channel", sa.String(8), nullable=False, default="voice"),
    sa.Column("notes", sa.String(MAX_NOTES), nullable=False, default=""),
    sa.Column("merged_into_id", sa.Integer, sa.ForeignKey("patients.id"), nullable=True),
    sa.Column("merged_at", UtcDateTime, nullable=True),
    sa.Column("version", sa.Integer, nullable=False, default=1),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Index(
        "ix_patients_name_birth_date", "name", "birth_date", postgresql_ops={"name": _PATTERN_OPS}
    ),
    sa.Index(
        "ix_patients_name_pinyin", "name_pinyin", postgresql_ops={"name_pinyin": _PATTERN_OPS}
    ),
    sa.Index(
        "ix_patients_name_initials",
        "name_initials",
        postgresql_ops={"name_initials": _PATTERN_OPS},
    ),
    sa.Index("ix_patients_guardian_id", "guardian_id"),
    sa.Index("ix_patients_merged_into_id", "merged_into_id"),
)

patient_phones = sa.Table(
    "patient_phones",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "patient_id", sa.Integer, sa.ForeignKey("patients.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("e164", sa.String(16), nullable=False),
    sa.Column("label", sa.String(8), nullable=False, default="mobile"),
    sa.Column("position", sa.SmallInteger, nullable=False, default=0),
    sa.UniqueConstraint("patient_id", "e164"),
    sa.Index("ix_patient_phones_e164", "e164", "patient_id"),
)

patient_tags = sa.Table(
    "patient_tags",
    metadata,
    sa.Column(
        "patient_id",
        sa.Integer,
        sa.ForeignKey("patients.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("tag", sa.String(MAX_TAG), primary_key=True),
    sa.Column("position", sa.SmallInteger, nullable=False, default=0),
    sa.Index("ix_patient_tags_tag", "tag"),
)

patient_consents = sa.Table(
    "patient_consents",
    metadata,
    sa.Column(
        "patient_id",
        sa.Integer,
        sa.ForeignKey("patients.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("topic", sa.String(16), primary_key=True),
    sa.Column("granted", sa.Boolean, nullable=False),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("source", sa.String(16), nullable=False),
)

patient_merges = sa.Table(
    "patient_merges",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("survivor_id", sa.Integer, sa.ForeignKey("patients.id"), nullable=False, index=True),
    sa.Column("duplicate_id", sa.Integer, sa.ForeignKey("patients.id"), nullable=False, index=True),
    sa.Column("staff_id", sa.Integer, nullable=True),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("reason", sa.String(256), nullable=False, default=""),
    sa.Column("moved", sa.JSON, nullable=False),
)
