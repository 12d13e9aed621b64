"""integrations: HIS identifiers, exchange log, processed messages, pushes, client tokens

Revision ID: 0003_integrations
Revises: 0002_booking
Create Date: 2026-11-25 21:05:00

Depends on the scheduling branch: pushes and appointment links point at bookings.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import careline.db.metadata

revision: str = "0003_integrations"
down_revision: str | None = "0002_booking"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "his_client_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", careline.db.metadata.UtcDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", careline.db.metadata.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_his_client_tokens")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_his_client_tokens_token_sha256")),
    )
    op.create_table(
        "his_cursors",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("at", careline.db.metadata.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_his_cursors")),
    )
    op.create_table(
        "his_exchange_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", careline.db.metadata.UtcDateTime(timezone=True), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("protocol", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("control_id", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_his_exchange_log")),
    )
    op.create_index("ix_his_exchange_log_at", "his_exchange_log", ["at"], unique=False)
    op.create_index(
        "ix_his_exchange_log_control_id", "his_exchange_log", ["control_id"], unique=False
    )
    op.create_table(
        "his_identifier_conflicts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("system", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("held_by_patient_id", sa.Integer(), nullable=True),
        sa.Column("claimed_for_patient_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=80), nullable=False),
        sa.Column("created_at", careline.db.metadata.UtcDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", careline.db.metadata.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_his_identifier_conflicts")),
    )
    op.create_table(
        "his_processed_messages",
        sa.Column("sender", sa.String(length=80), nullable=False),
        sa.Column("control_id", sa.String(length=64), nullable=False),
        sa.Column("ack_code", sa.String(length=2), nullable=False),
        sa.Column("ack", sa.Text(), nullable=False),
        sa.Column("received_at", careline.db.metadata.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sender", "control_id", name=op.f("pk_his_processed_messages")),
    )
    op.create_table(
        "his_identifiers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("system", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("created_at", careline.db.metadata.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_his_identifiers_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_his_identifiers")),
        sa.UniqueConstraint("system", "value", name=op.f("uq_his_identifiers_system_value")),
    )
    op.create_index(
        "ix_his_identifiers_patient_id", "his_identifiers", ["patient_id"], unique=False
    )
    op.create_table(
        "his_appointment_links",
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("his_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_his_appointment_links_booking_id_bookings"),
        ),
        sa.PrimaryKeyConstraint("booking_id", name=op.f("pk_his_appointment_links")),
        sa.UniqueConstraint("his_id", name=op.f("uq_his_appointment_links_his_id")),
    )
    op.create_table(
        "his_pushes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column(
            "next_attempt_at", careline.db.metadata.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.Column("created_at", careline.db.metadata.UtcDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", careline.db.metadata.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_his_pushes_booking_id_bookings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_his_pushes")),
        sa.UniqueConstraint(
            "booking_id", "event", "target", name=op.f("uq_his_pushes_booking_id_event_target")
        ),
    )
    op.create_index(
        "ix_his_pushes_status_next_attempt_at",
        "his_pushes",
        ["status", "next_attempt_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_his_pushes_status_next_attempt_at", table_name="his_pushes")
    op.drop_table("his_pushes")
    op.drop_table("his_appointment_links")
    op.drop_index("ix_his_identifiers_patient_id", table_name="his_identifiers")
    op.drop_table("his_identifiers")
    op.drop_table("his_processed_messages")
    op.drop_table("his_identifier_conflicts")
    op.drop_index("ix_his_exchange_log_control_id", table_name="his_exchange_log")
    op.drop_index("ix_his_exchange_log_at", table_name="his_exchange_log")
    op.drop_table("his_exchange_log")
    op.drop_table("his_cursors")
    op.drop_table("his_client_tokens")
