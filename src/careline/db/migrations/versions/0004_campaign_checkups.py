"""campaigns: stored check-up due dates; message id and kind on attempts

Revision ID: 0004_campaign_checkups
Revises: 0003_campaigns
Create Date: 2026-11-25 22:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import careline.db.metadata

revision: str = "0004_campaign_checkups"
down_revision: str | None = "0003_campaigns"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "campaign_checkups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", careline.db.metadata.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_campaign_checkups_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_checkups")),
        sa.UniqueConstraint(
            "patient_id", "kind", name=op.f("uq_campaign_checkups_patient_id_kind")
        ),
    )
    op.create_index("ix_campaign_checkups_due_on", "campaign_checkups", ["due_on"], unique=False)
    # Nullable columns: a plain ADD COLUMN works on SQLite and PostgreSQL alike.
    op.add_column("campaign_attempts", sa.Column("message_id", sa.Integer(), nullable=True))
    op.add_column(
        "campaign_attempts", sa.Column("message_kind", sa.String(length=16), nullable=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("campaign_attempts") as batch:
        batch.drop_column("message_kind")
        batch.drop_column("message_id")
    op.drop_index("ix_campaign_checkups_due_on", table_name="campaign_checkups")
    op.drop_table("campaign_checkups")
