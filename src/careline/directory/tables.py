"""Tables of the directory context. Money columns are integer fen."""

from __future__ import annotations

import sqlalchemy as sa

from careline.db.metadata import UtcDateTime, metadata

hospital_profile = sa.Table(
    "hospital_profile",
    metadata,
    # One row: the hospital this installation serves.
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name_zh", sa.String(200), nullable=False),
    sa.Column("name_en", sa.String(200), nullable=False, default=""),
    sa.Column("address_zh", sa.String(200), nullable=False, default=""),
    sa.Column("address_en", sa.String(200), nullable=False, default=""),
    sa.Column("main_phone", sa.String(64), nullable=False, default=""),
    sa.Column("website", sa.String(200), nullable=False, default=""),
    sa.Column("introduction_zh", sa.Text, nullable=False, default=""),
    sa.Column("introduction_en", sa.Text, nullable=False, default=""),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

departments = sa.Table(
    "departments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name_zh", sa.String(64), nullable=False, unique=True),
    sa.Column("name_en", sa.String(64), nullable=False, default=""),
    sa.Column("description_zh", sa.Text, nullable=False, default=""),
    sa.Column("description_en", sa.Text, nullable=False, default=""),
    sa.Column("location", sa.String(200), nullable=False, default=""),
    sa.Column("phone", sa.String(64), nullable=False, default=""),
    sa.Column("opening_hours", sa.String(200), nullable=False, default=""),
    sa.Column(
        "parent_id",
        sa.Integer,
        sa.ForeignKey("departments.id", ondelete="SET NULL"),
        nullable=True,
    ),
    sa.Column("sort_order", sa.Integer, nullable=False, default=0),
    sa.Column("name_pinyin", sa.String(200), nullable=False, default=""),
    sa.Column("name_initials", sa.String(64), nullable=False, default=""),
)

doctors = sa.Table(
    "doctors",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "department_id", sa.Integer, sa.ForeignKey("departments.id"), nullable=False, index=True
    ),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("name_en", sa.String(64), nullable=False, default=""),
    sa.Column("title", sa.String(32), nullable=False),
    sa.Column("doctor_number", sa.String(8), nullable=False, unique=True),
    sa.Column("specialty_zh", sa.String(200), nullable=False, default=""),
    sa.Column("specialty_en", sa.String(200), nullable=False, default=""),
    sa.Column("introduction_zh", sa.Text, nullable=False, default=""),
    sa.Column("introduction_en", sa.Text, nullable=False, default=""),
    sa.Column("photo", sa.String(200), nullable=False, default=""),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("name_pinyin", sa.String(200), nullable=False, default="", index=True),
    sa.Column("name_initials", sa.String(64), nullable=False, default=""),
)

weekly_sessions = sa.Table(
    "clinic_weekly_sessions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "doctor_id", sa.Integer, sa.ForeignKey("doctors.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("weekday", sa.SmallInteger, nullable=False),
    sa.Column("period", sa.String(16), nullable=False),
    sa.Column("start_time", sa.Time, nullable=True),
    sa.Column("end_time", sa.Time, nullable=True),
    sa.Column("capacity", sa.Integer, nullable=False),
    sa.Column("registration_fee", sa.Integer, nullable=False),
    sa.Column("clinic_type", sa.String(16), nullable=False),
    sa.Column("runs_on_holidays", sa.Boolean, nullable=False, default=False),
    sa.UniqueConstraint("doctor_id", "weekday", "period"),
    sa.CheckConstraint("capacity >= 0", name="capacity_not_negative"),
    sa.CheckConstraint("registration_fee >= 0", name="fee_not_negative"),
    sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
)

schedule_exceptions = sa.Table(
    "clinic_schedule_exceptions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column(
        "doctor_id", sa.Integer, sa.ForeignKey("doctors.id", ondelete="CASCADE"), nullable=True
    ),
    sa.Column(
        "department_id",
        sa.Integer,
        sa.ForeignKey("departments.id", ondelete="CASCADE"),
        nullable=True,
    ),
    sa.Column("first_day", sa.Date, nullable=False),
    sa.Column("last_day", sa.Date, nullable=False),
    sa.Column("period", sa.String(16), nullable=True),
    sa.Column("reason", sa.String(200), nullable=False, default=""),
    sa.Index("ix_clinic_schedule_exceptions_days", "last_day", "first_day"),
)

drugs = sa.Table(
    "drugs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code", sa.String(32), nullable=False, unique=True),
    sa.Column("name_zh", sa.String(200), nullable=False),
    sa.Column("name_en", sa.String(200), nullable=False, default=""),
    sa.Column("specification", sa.String(200), nullable=False),
    sa.Column("unit", sa.String(16), nullable=False),
    sa.Column("price", sa.Integer, nullable=False),
    sa.Column("usage_notes", sa.Text, nullable=False, default=""),
    sa.Column("category", sa.String(64), nullable=False, default="", index=True),
    sa.Column("name_pinyin", sa.String(400), nullable=False, default="", index=True),
    sa.Column("name_initials", sa.String(200), nullable=False, default="", index=True),
    sa.CheckConstraint("price >= 0", name="price_not_negative"),
)

articles = sa.Table(
    "health_articles",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("published_on", sa.Date, nullable=False),
    sa.Column("tags", sa.String(400), nullable=False, default=""),
    sa.Index("ix_health_articles_language_published", "language", "published_on"),
)

visit_instructions = sa.Table(
    "visit_instructions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("sort_order", sa.Integer, nullable=False, default=0),
)

fax_documents = sa.Table(
    "fax_documents",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code", sa.String(8), nullable=False, unique=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("body", sa.Text, nullable=False, default=""),
    sa.Column("file_path", sa.String(200), nullable=False, default=""),
)
