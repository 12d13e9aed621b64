"""Tables of the IVR: call records and the language each caller chose."""

from __future__ import annotations

import sqlalchemy as sa

from careline.db.metadata import UtcDateTime, metadata

ivr_call_records = sa.Table(
    "ivr_call_records",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("call_id", sa.String(200), nullable=False, index=True),
    sa.Column("caller", sa.String(64), nullable=False, default=""),
    sa.Column("started_at", UtcDateTime, nullable=False, index=True),
    sa.Column("ended_at", UtcDateTime, nullable=False),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False, index=True),
    sa.Column("path", sa.JSON, nullable=False),
    sa.Column("keys", sa.String(500), nullable=False, default=""),
    sa.Column("prompts", sa.JSON, nullable=False),
    sa.Column("patient_id", sa.Integer, nullable=True),
    sa.Column("member_card", sa.String(32), nullable=True),
)

ivr_caller_languages = sa.Table(
    "ivr_caller_languages",
    metadata,
    sa.Column("caller", sa.String(64), primary_key=True),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)
