"""acd: the doctor a call was put through to for a consultation

Revision ID: 0005_acd_consult
Revises: 0003_acd
Create Date: 2026-11-25 22:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_acd_consult"
down_revision: str | None = "0003_acd"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("acd_call_records") as batch:
        batch.add_column(sa.Column("consult_doctor_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("acd_call_records") as batch:
        batch.drop_column("consult_doctor_id")
