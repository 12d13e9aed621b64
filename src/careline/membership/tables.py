"""Tables of the membership context: cards and their append-only ledger (fen).

``member_cards.balance`` caches the sum of the card's ledger entries. It is changed only
together with an appended entry, in the same transaction and under the card's row lock,
and a guarded ``UPDATE`` (``balance + amount >= 0``) refuses an overdraw in the database
itself; the ledger stays the record, the column saves summing it on every charge.
"""

from __future__ import annotations

import sqlalchemy as sa

from careline.db.metadata import UtcDateTime, metadata

member_cards = sa.Table(
    "member_cards",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("card_number", sa.String(16), nullable=False, unique=True),
    sa.Column("patient_id", sa.Integer, sa.ForeignKey("patients.id"), nullable=False, index=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("pin_hash", sa.String(200), nullable=False),
    sa.Column("failed_pin_attempts", sa.Integer, nullable=False, default=0),
    sa.Column("locked_until", UtcDateTime, nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("balance", sa.BigInteger, nullable=False, server_default="0"),
)

ledger_entries = sa.Table(
    "member_ledger_entries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("card_id", sa.Integer, sa.ForeignKey("member_cards.id"), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("idempotency_key", sa.String(100), nullable=False, unique=True),
    sa.Column("reason", sa.String(200), nullable=False),
    sa.Column("staff_id", sa.Integer, sa.ForeignKey("staff_members.id"), nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Index("ix_member_ledger_entries_card_created", "card_id", "created_at"),
)

# Patient portal sign-in: one-time codes by SMS and session tokens, both stored hashed.
portal_codes = sa.Table(
    "portal_sign_in_codes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("phone", sa.String(20), nullable=False),
    sa.Column("code_hash", sa.String(64), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("used", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    sa.Index("ix_portal_sign_in_codes_phone_created", "phone", "created_at"),
)

portal_sessions = sa.Table(
    "portal_sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("patient_id", sa.Integer, sa.ForeignKey("patients.id"), nullable=False),
    sa.Column("card_id", sa.Integer, sa.ForeignKey("member_cards.id"), nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
)
