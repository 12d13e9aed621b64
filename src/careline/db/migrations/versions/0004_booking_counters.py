"""booking counters: booking_sessions.taken_counts caches each session's places per period

Revision ID: 0004_booking_counters
Revises: 0003_booking_speed
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_booking_counters"
down_revision: str | None = "0003_booking_speed"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # NULL for every stored session: the next booking of each counts its places again.
    op.add_column("booking_sessions", sa.Column("taken_counts", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("booking_sessions") as batch:
        batch.drop_column("taken_counts")
