"""Tables of the consultations context."""

from __future__ import annotations

import sqlalchemy as sa

from careline.db.metadata import UtcDateTime, metadata

consult_settings = sa.Table(
    "consult_settings",
    metadata,
    sa.Column("doctor_id", sa.Integer, sa.ForeignKey("doctors.id"), primary_key=True),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("max_call_seconds", sa.Integer, nullable=False),
    sa.Column("fee_mode", sa.String(20), nullable=False),
    sa.Column("fee_fen", sa.Integer, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

consult_windows = sa.Table(
    "consult_windows",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("doctor_id", sa.Integer, sa.ForeignKey("doctors.id"), nullable=False, index=True),
    sa.Column("weekday", sa.Integer, nullable=False),
    sa.Column("start_time", sa.Time, nullable=False),
    sa.Column("end_time", sa.Time, nullable=False),
)

consult_exceptions = sa.Table(
    "consult_exceptions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("doctor_id", sa.Integer, sa.ForeignKey("doctors.id"), nullable=False),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("available", sa.Boolean, nullable=False),
    sa.Column("start_time", sa.Time, nullable=True),
    sa.Column("end_time", sa.Time, nullable=True),
    sa.Index("ix_consult_exceptions_doctor_id_day", "doctor_id", "day"),
)

# Private numbers: read only by the dialler; pages and API answers show them masked.
consult_numbers = sa.Table(
    "consult_numbers",
    metadata,
    sa.Column("doctor_id", sa.Integer, sa.ForeignKey("doctors.id"), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("number", sa.String(32), nullable=False),
)

consultations = sa.Table(
    "consultations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("doctor_id", sa.Integer, sa.ForeignKey("doctors.id"), nullable=False),
    sa.Column("patient_id", sa.Integer, sa.ForeignKey("patients.id"), nullable=True),
    sa.Column("member_card_id", sa.Integer, nullable=True),
    sa.Column("call_id", sa.String(200), nullable=False),
    sa.Column("started_at", UtcDateTime, nullable=False, index=True),
    sa.Column("connected_at", UtcDateTime, nullable=True),
    sa.Column("seconds", sa.Integer, nullable=False),
    sa.Column("charge_fen", sa.Integer, nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("recording_path", sa.String(300), nullable=True),
    sa.Index("ix_consultations_doctor_id_outcome", "doctor_id", "outcome"),
)
