"""ivr: call records, caller languages, voicemail messages

Revision ID: 0002_ivr
Revises: 0001
Create Date: 2026-11-25 19:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import careline.db.metadata

revision: str = "0002_ivr"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ivr_call_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.String(length=200), nullable=False),
        sa.Column("caller", sa.String(length=64), nullable=False),
        sa.Column("started_at", careline.db.metadata.UtcDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", careline.db.metadata.UtcDateTime(timezone=True), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("path", sa.JSON(), nullable=False),
        sa.Column("keys", sa.String(length=500), nullable=False),
        sa.Column("prompts", sa.JSON(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("member_card", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ivr_call_records")),
    )
    op.create_index(
        op.f("ix_ivr_call_records_call_id"), "ivr_call_records", ["call_id"], unique=False
    )
    op.create_index(
        op.f("ix_ivr_call_records_outcome"), "ivr_call_records", ["outcome"], unique=False
    )
    op.create_index(
        op.f("ix_ivr_call_records_started_at"), "ivr_call_records", ["started_at"], unique=False
    )
    op.create_table(
        "ivr_caller_languages",
        sa.Column("caller", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("updated_at", careline.db.metadata.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("caller", name=op.f("pk_ivr_caller_languages")),
    )
    op.create_table(
        "voicemail_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=8), nullable=False),
        sa.Column("doctor_id", sa.Integer(), nullable=False),
        sa.Column("caller_phone", sa.String(length=32), nullable=True),
        sa.Column("recording_path", sa.String(length=300), nullable=False),
        sa.Column("pin_hash", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("created_at", careline.db.metadata.UtcDateTime(timezone=True), nullable=False),
        sa.Column("reply_text", sa.Text(), nullable=False),
        sa.Column("replied_at", careline.db.metadata.UtcDateTime(timezone=True), nullable=True),
        sa.Column("failed_pins", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["doctor_id"], ["doctors.id"], name=op.f("fk_voicemail_messages_doctor_id_doctors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voicemail_messages")),
        sa.UniqueConstraint("number", name=op.f("uq_voicemail_messages_number")),
    )
    op.create_index(
        op.f("ix_voicemail_messages_doctor_id"), "voicemail_messages", ["doctor_id"], unique=False
    )
    # ### end Alembic commands ###


def downgrade() -> None:
    op.drop_index(op.f("ix_voicemail_messages_doctor_id"), table_name="voicemail_messages")
    op.drop_table("voicemail_messages")
    op.drop_table("ivr_caller_languages")
    op.drop_index(op.f("ix_ivr_call_records_started_at"), table_name="ivr_call_records")
    op.drop_index(op.f("ix_ivr_call_records_outcome"), table_name="ivr_call_records")
    op.drop_index(op.f("ix_ivr_call_records_call_id"), table_name="ivr_call_records")
    op.drop_table("ivr_call_records")
    # ### end Alembic commands ###
