"""acd: queues, agent profiles, call records, callbacks

Revision ID: 0003_acd
Revises: 0001
Create Date: 2026-11-25 21:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import careline.db.metadata

revision: str = "0003_acd"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = careline.db.metadata.UtcDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "acd_queues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("opens", sa.String(length=5), nullable=False),
        sa.Column("closes", sa.String(length=5), nullable=False),
        sa.Column("weekdays", sa.String(length=7), nullable=False),
        sa.Column("widen_after_seconds", sa.Integer(), nullable=False),
        sa.Column("max_wait_seconds", sa.Integer(), nullable=False),
        sa.Column("overflow", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acd_queues")),
        sa.UniqueConstraint("name", name=op.f("uq_acd_queues_name")),
    )
    op.create_table(
        "acd_agent_profiles",
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("queues", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_members.id"],
            name=op.f("fk_acd_agent_profiles_staff_id_staff_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("staff_id", name=op.f("pk_acd_agent_profiles")),
    )
    op.create_table(
        "acd_call_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.String(length=200), nullable=False),
        sa.Column("queue", sa.String(length=40), nullable=False),
        sa.Column("caller", sa.String(length=64), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("ivr_path", sa.JSON(), nullable=False),
        sa.Column("offered_at", UTC_DATETIME, nullable=False),
        sa.Column("answered_at", UTC_DATETIME, nullable=True),
        sa.Column("ended_at", UTC_DATETIME, nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("wrap_up_code", sa.String(length=40), nullable=False),
        sa.Column("wrap_up_seconds", sa.Integer(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("recording_path", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["staff_members.id"],
            name=op.f("fk_acd_call_records_agent_id_staff_members"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acd_call_records")),
        sa.UniqueConstraint("call_id", name=op.f("uq_acd_call_records_call_id")),
    )
    op.create_index("ix_acd_call_records_caller", "acd_call_records", ["caller"], unique=False)
    op.create_index(
        op.f("ix_acd_call_records_offered_at"), "acd_call_records", ["offered_at"], unique=False
    )
    op.create_index(op.f("ix_acd_call_records_queue"), "acd_call_records", ["queue"], unique=False)
    op.create_table(
        "acd_callbacks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.String(length=200), nullable=False),
        sa.Column("queue", sa.String(length=40), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("requested_at", UTC_DATETIME, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("done_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["staff_members.id"],
            name=op.f("fk_acd_callbacks_agent_id_staff_members"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acd_callbacks")),
    )
    op.create_index(
        op.f("ix_acd_callbacks_requested_at"), "acd_callbacks", ["requested_at"], unique=False
    )
    op.create_index(op.f("ix_acd_callbacks_status"), "acd_callbacks", ["status"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_acd_callbacks_status"), table_name="acd_callbacks")
    op.drop_index(op.f("ix_acd_callbacks_requested_at"), table_name="acd_callbacks")
    op.drop_table("acd_callbacks")
    op.drop_index(op.f("ix_acd_call_records_queue"), table_name="acd_call_records")
    op.drop_index(op.f("ix_acd_call_records_offered_at"), table_name="acd_call_records")
    op.drop_index("ix_acd_call_records_caller", table_name="acd_call_records")
    op.drop_table("acd_call_records")
    op.drop_table("acd_agent_profiles")
    op.drop_table("acd_queues")
