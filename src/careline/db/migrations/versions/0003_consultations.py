"""consultations: doctors' hours, private numbers, terms and consultation records

Revision ID: 0003_consultations
Revises: 0001
Create Date: 2026-11-25 21:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import careline.db.metadata

revision: str = "0003_consultations"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _doctor_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["doctor_id"], ["doctors.id"], name=op.f(f"fk_{table}_doctor_id_doctors")
    )


def upgrade() -> None:
    op.create_table(
        "consult_settings",
        sa.Column("doctor_id", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("max_call_seconds", sa.Integer(), nullable=False),
        sa.Column("fee_mode", sa.String(length=20), nullable=False),
        sa.Column("fee_fen", sa.Integer(), nullable=False),
        sa.Column("updated_at", careline.db.metadata.UtcDateTime(timezone=True), nullable=False),
        _doctor_fk("consult_settings"),
        sa.PrimaryKeyConstraint("doctor_id", name=op.f("pk_consult_settings")),
    )
    op.create_table(
        "consult_windows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("doctor_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("end_time", sa.Time(), nullable=False),
        _doctor_fk("consult_windows"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consult_windows")),
    )
    op.create_index(
        op.f("ix_consult_windows_doctor_id"), "consult_windows", ["doctor_id"], unique=False
    )
    op.create_table(
        "consult_exceptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("doctor_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("available", sa.Boolean(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=True),
        sa.Column("end_time", sa.Time(), nullable=True),
        _doctor_fk("consult_exceptions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consult_exceptions")),
    )
    op.create_index(
        "ix_consult_exceptions_doctor_id_day",
        "consult_exceptions",
        ["doctor_id", "day"],
        unique=False,
    )
    op.create_table(
        "consult_numbers",
        sa.Column("doctor_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        _doctor_fk("consult_numbers"),
        sa.PrimaryKeyConstraint("doctor_id", "position", name=op.f("pk_consult_numbers")),
    )
    op.create_table(
        "consultations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("doctor_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("member_card_id", sa.Integer(), nullable=True),
        sa.Column("call_id", sa.String(length=200), nullable=False),
        sa.Column("started_at", careline.db.metadata.UtcDateTime(timezone=True), nullable=False),
        sa.Column("connected_at", careline.db.metadata.UtcDateTime(timezone=True), nullable=True),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.Column("charge_fen", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("recording_path", sa.String(length=300), nullable=True),
        _doctor_fk("consultations"),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_consultations_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultations")),
    )
    op.create_index(
        op.f("ix_consultations_started_at"), "consultations", ["started_at"], unique=False
    )
    op.create_index(
        "ix_consultations_doctor_id_outcome",
        "consultations",
        ["doctor_id", "outcome"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_consultations_doctor_id_outcome", table_name="consultations")
    op.drop_index(op.f("ix_consultations_started_at"), table_name="consultations")
    op.drop_table("consultations")
    op.drop_table("consult_numbers")
    op.drop_index("ix_consult_exceptions_doctor_id_day", table_name="consult_exceptions")
    op.drop_table("consult_exceptions")
    op.drop_index(op.f("ix_consult_windows_doctor_id"), table_name="consult_windows")
    op.drop_table("consult_windows")
    op.drop_table("consult_settings")
