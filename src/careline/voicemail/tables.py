"""Tables of voicemail: messages left for doctors and their replies."""

from __future__ import annotations

import sqlalchemy as sa

from careline.db.metadata import UtcDateTime, metadata

voicemail_messages = sa.Table(
    "voicemail_messages",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("number", sa.String(8), nullable=False, unique=True),
    sa.Column("doctor_id", sa.Integer, sa.ForeignKey("doctors.id"), nullable=False, index=True),
    sa.Column("caller_phone", sa.String(32), nullable=True),
    sa.Column("recording_path", sa.String(300), nullable=False),
    sa.Column("pin_hash", sa.String(200), nullable=False),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("reply_text", sa.Text, nullable=False, default=""),
    sa.Column("replied_at", UtcDateTime, nullable=True),
    sa.Column("failed_pins", sa.Integer, nullable=False, default=0),
)
