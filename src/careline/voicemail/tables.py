"""Tables of voicemail: doctors' boxes, messages left for doctors and their replies."""

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
    # The doctor's side (migration 0003_voicemail_doctors).
    sa.Column("status", sa.String(16), nullable=False, server_default="new", index=True),
    sa.Column("reply_path", sa.String(300), nullable=True),
    sa.Column("heard_at", UtcDateTime, nullable=True),
    sa.Column("done_at", UtcDateTime, nullable=True),
    sa.Column("notified_at", UtcDateTime, nullable=True),
    sa.Column("flagged_at", UtcDateTime, nullable=True),
    # The caller asked to be called when the reply is ready (instead of only the SMS).
    sa.Column("reply_call", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("reply_call_attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("reply_called_at", UtcDateTime, nullable=True),
)

voicemail_boxes = sa.Table(
    "voicemail_boxes",
    metadata,
    sa.Column("doctor_id", sa.Integer, sa.ForeignKey("doctors.id"), primary_key=True),
    sa.Column("greeting_text", sa.String(500), nullable=False),
    sa.Column("greeting_path", sa.String(300), nullable=True),
    sa.Column("max_message_seconds", sa.Integer, nullable=False),
    sa.Column("accepting", sa.Boolean, nullable=False),
    sa.Column("notify_by", sa.String(8), nullable=False),
    sa.Column("notify_to", sa.String(200), nullable=False),
    sa.Column("pin_hash", sa.String(200), nullable=True),
    sa.Column("failed_pins", sa.Integer, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)
