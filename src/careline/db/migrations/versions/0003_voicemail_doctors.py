"""voicemail: doctors' boxes and the doctor's side of messages

Revision ID: 0003_voicemail_doctors
Revises: 0002_ivr
Create Date: 2026-11-25 21:15:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import careline.db.metadata

revision: str = "0003_voicemail_doctors"
down_revision: str | None = "0002_ivr"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NEW_TIMES = ("heard_at", "done_at", "notified_at", "flagged_at", "reply_called_at")


def upgrade() -> None:
    op.create_table(
        "voicemail_boxes",
        sa.Column("doctor_id", sa.Integer(), nullable=False),
        sa.Column("greeting_text", sa.String(length=500), nullable=False),
        sa.Column("greeting_path", sa.String(length=300), nullable=True),
        sa.Column("max_message_seconds", sa.Integer(), nullable=False),
        sa.Column("accepting", sa.Boolean(), nullable=False),
        sa.Column("notify_by", sa.String(length=8), nullable=False),
        sa.Column("notify_to", sa.String(length=200), nullable=False),
        sa.Column("pin_hash", sa.String(length=200), nullable=True),
        sa.Column("failed_pins", sa.Integer(), nullable=False),
        sa.Column("updated_at", careline.db.metadata.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["doctor_id"], ["doctors.id"], name=op.f("fk_voicemail_boxes_doctor_id_doctors")
        ),
        sa.PrimaryKeyConstraint("doctor_id", name=op.f("pk_voicemail_boxes")),
    )
    with op.batch_alter_table("voicemail_messages") as batch:
        batch.add_column(
            sa.Column("status", sa.String(length=16), server_default="new", nullable=False)
        )
        batch.add_column(sa.Column("reply_path", sa.String(length=300), nullable=True))
        batch.add_column(
            sa.Column("reply_call", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch.add_column(
            sa.Column("reply_call_attempts", sa.Integer(), server_default="0", nullable=False)
        )
        for name in _NEW_TIMES:
            batch.add_column(
                sa.Column(name, careline.db.metadata.UtcDateTime(timezone=True), nullable=True)
            )
        batch.create_index(batch.f("ix_voicemail_messages_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("voicemail_messages") as batch:
        batch.drop_index(batch.f("ix_voicemail_messages_status"))
        for name in (*_NEW_TIMES, "reply_call_attempts", "reply_call", "reply_path", "status"):
            batch.drop_column(name)
    op.drop_table("voicemail_boxes")
