"""campaigns: campaigns, targets, attempts, answers, do-not-call list, template library

Revision ID: 0003_campaigns
Revises: 0001
Create Date: 2026-11-25 21:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import careline.db.metadata

revision: str = "0003_campaigns"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "campaign_questionnaires",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("created_at", careline.db.metadata.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_questionnaires")),
        sa.UniqueConstraint("name", name=op.f("uq_campaign_questionnaires_name")),
    )
    op.create_table(
        "campaign_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("body_zh", sa.String(length=1000), nullable=False),
        sa.Column("body_en", sa.String(length=1000), nullable=False),
        sa.Column("subject_zh", sa.String(length=1000), nullable=False),
        sa.Column("subject_en", sa.String(length=1000), nullable=False),
        sa.Column("created_at", careline.db.metadata.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_templates")),
        sa.UniqueConstraint("name", name=op.f("uq_campaign_templates_name")),
    )
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("audience", sa.JSON(), nullable=False),
        sa.Column("channels", sa.String(length=32), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("body_zh", sa.String(length=1000), nullable=False),
        sa.Column("body_en", sa.String(length=1000), nullable=False),
        sa.Column("subject_zh", sa.String(length=1000), nullable=False),
        sa.Column("subject_en", sa.String(length=1000), nullable=False),
        sa.Column("questionnaire", sa.JSON(), nullable=True),
        sa.Column("audience_day", sa.Date(), nullable=True),
        sa.Column("starts_at", careline.db.metadata.UtcDateTime(timezone=True), nullable=True),
        sa.Column("audience_size", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", careline.db.metadata.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", careline.db.metadata.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    op.create_index("ix_campaigns_status", "campaigns", ["status"], unique=False)
    op.create_table(
        "campaign_do_not_call",
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("at", careline.db.metadata.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_campaign_do_not_call_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("patient_id", "kind", name=op.f("pk_campaign_do_not_call")),
    )
    op.create_table(
        "campaign_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("address", sa.String(length=254), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_outcome", sa.String(length=16), nullable=True),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("finished_at", careline.db.metadata.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_targets_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_campaign_targets_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_targets")),
        sa.UniqueConstraint(
            "campaign_id", "patient_id", name=op.f("uq_campaign_targets_campaign_id_patient_id")
        ),
        sa.UniqueConstraint("token", name=op.f("uq_campaign_targets_token")),
    )
    op.create_index(
        "ix_campaign_targets_campaign_status",
        "campaign_targets",
        ["campaign_id", "status"],
        unique=False,
    )
    op.create_table(
        "campaign_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("question_key", sa.String(length=32), nullable=False),
        sa.Column("answer", sa.String(length=1000), nullable=False),
        sa.Column("recording", sa.String(length=255), nullable=True),
        sa.Column("at", careline.db.metadata.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["campaign_targets.id"],
            name=op.f("fk_campaign_answers_target_id_campaign_targets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_answers")),
        sa.UniqueConstraint(
            "target_id", "question_key", name=op.f("uq_campaign_answers_target_id_question_key")
        ),
    )
    op.create_index(
        "ix_campaign_answers_campaign",
        "campaign_answers",
        ["campaign_id", "question_key"],
        unique=False,
    )
    op.create_table(
        "campaign_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("due_at", careline.db.metadata.UtcDateTime(timezone=True), nullable=False),
        sa.Column("lease_until", careline.db.metadata.UtcDateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("sip_code", sa.Integer(), nullable=True),
        sa.Column("started_at", careline.db.metadata.UtcDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", careline.db.metadata.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["campaign_targets.id"],
            name=op.f("fk_campaign_attempts_target_id_campaign_targets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_attempts")),
        sa.UniqueConstraint(
            "target_id", "number", name=op.f("uq_campaign_attempts_target_id_number")
        ),
    )
    op.create_index(
        "ix_campaign_attempts_campaign",
        "campaign_attempts",
        ["campaign_id", "outcome"],
        unique=False,
    )
    op.create_index(
        "ix_campaign_attempts_due", "campaign_attempts", ["state", "due_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_campaign_attempts_due", table_name="campaign_attempts")
    op.drop_index("ix_campaign_attempts_campaign", table_name="campaign_attempts")
    op.drop_table("campaign_attempts")
    op.drop_index("ix_campaign_answers_campaign", table_name="campaign_answers")
    op.drop_table("campaign_answers")
    op.drop_index("ix_campaign_targets_campaign_status", table_name="campaign_targets")
    op.drop_table("campaign_targets")
    op.drop_table("campaign_do_not_call")
    op.drop_index("ix_campaigns_status", table_name="campaigns")
    op.drop_table("campaigns")
    op.drop_table("campaign_templates")
    op.drop_table("campaign_questionnaires")
