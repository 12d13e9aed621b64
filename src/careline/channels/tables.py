"""Tables of the channels context: outgoing messages and their parts, received mail and SMS."""

from __future__ import annotations

import sqlalchemy as sa

from careline.db.metadata import UtcDateTime, metadata

channel_messages = sa.Table(
    "channel_messages",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("channel", sa.String(8), nullable=False),
    sa.Column("recipient", sa.String(320), nullable=False),
    sa.Column("subject", sa.String(500), nullable=False, default=""),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("template", sa.String(64), nullable=True),
    sa.Column("template_params", sa.JSON, nullable=False, default=list),
    sa.Column("language", sa.String(8), nullable=False, default="zh-CN"),
    sa.Column("state", sa.String(12), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_attempt_at", UtcDateTime, nullable=True),
    sa.Column("provider", sa.String(32), nullable=True),
    sa.Column("provider_message_id", sa.String(80), nullable=True),
    sa.Column("last_error", sa.String(500), nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("sent_at", UtcDateTime, nullable=True),
    sa.Column("delivered_at", UtcDateTime, nullable=True),
    sa.Index("ix_channel_messages_due", "state", "next_attempt_at"),
)

# One row per segment (SMS) or job (fax/email): receipts name a part, not the message.
channel_message_parts = sa.Table(
    "channel_message_parts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "message_id",
        sa.Integer,
        sa.ForeignKey("channel_messages.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("part_number", sa.Integer, nullable=False),
    sa.Column("provider", sa.String(32), nullable=False),
    sa.Column("provider_message_id", sa.String(80), nullable=False),
    sa.Column("status", sa.String(16), nullable=True),
    sa.Column("delivered", sa.Boolean, nullable=True),
    sa.Index("ix_channel_message_parts_provider_id", "provider", "provider_message_id"),
)

inbound_emails = sa.Table(
    "inbound_emails",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("received_at", UtcDateTime, nullable=False, index=True),
    sa.Column("via", sa.String(16), nullable=False),
    sa.Column("mail_from", sa.String(320), nullable=False, default=""),
    sa.Column("recipients", sa.Text, nullable=False, default=""),
    sa.Column("subject", sa.String(1000), nullable=False, default=""),
    sa.Column("message_id_header", sa.String(1000), nullable=True, index=True),
    sa.Column("in_reply_to", sa.String(1000), nullable=True),
    sa.Column("ticket_token", sa.String(12), nullable=True, index=True),
    sa.Column("body_text", sa.Text, nullable=False, default=""),
    sa.Column("raw", sa.LargeBinary, nullable=False),
    sa.Column("status", sa.String(24), nullable=False),
    sa.Column("reason", sa.String(500), nullable=True),
)

inbound_email_attachments = sa.Table(
    "inbound_email_attachments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "email_id",
        sa.Integer,
        sa.ForeignKey("inbound_emails.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("filename", sa.String(255), nullable=False),
    sa.Column("content_type", sa.String(127), nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=True),
    sa.Column("refused_reason", sa.String(255), nullable=True),
)

inbound_sms = sa.Table(
    "inbound_sms",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("received_at", UtcDateTime, nullable=False, index=True),
    sa.Column("provider", sa.String(32), nullable=False),
    sa.Column("sender", sa.String(32), nullable=False),
    sa.Column("recipient", sa.String(32), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("status", sa.String(24), nullable=False),
    sa.Column("reason", sa.String(500), nullable=True),
)

# Receipts that arrive before the submit response is stored (a gateway may push the report
# of segment 1 while segment 2 is still being submitted); applied once the parts exist.
channel_early_receipts = sa.Table(
    "channel_early_receipts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("provider", sa.String(32), nullable=False),
    sa.Column("provider_message_id", sa.String(80), nullable=False),
    sa.Column("delivered", sa.Boolean, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("received_at", UtcDateTime, nullable=False),
    sa.Index("ix_channel_early_receipts_provider_id", "provider", "provider_message_id"),
)
