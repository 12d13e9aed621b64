"""booking speed: member_cards.balance caches the sum of each card's ledger

Revision ID: 0003_booking_speed
Revises: 0002_booking
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_booking_speed"
down_revision: str | None = "0002_booking"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "member_cards",
        sa.Column("balance", sa.BigInteger(), server_default="0", nullable=False),
    )
    # Cards issued before this revision start from the sum of their ledger.
    op.execute(
        "UPDATE member_cards SET balance = COALESCE((SELECT SUM(e.amount) "
        "FROM member_ledger_entries e WHERE e.card_id = member_cards.id), 0)"
    )


def downgrade() -> None:
    with op.batch_alter_table("member_cards") as batch:
        batch.drop_column("balance")
