"""period capacities: booking_sessions.period_capacities holds one day's places per period

Revision ID: 0005_period_capacities
Revises: 0004_booking_counters
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_period_capacities"
down_revision: str | None = "0004_booking_counters"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # NULL for every stored session: its periods keep the even split of its capacity.
    with op.batch_alter_table("booking_sessions") as batch:
        batch.add_column(sa.Column("period_capacities", sa.Text(), nullable=True))


def downgrade() -> None:
    # Each session keeps its total (the capacity is the sum), split evenly again.
    with op.batch_alter_table("booking_sessions") as batch:
        batch.drop_column("period_capacities")
