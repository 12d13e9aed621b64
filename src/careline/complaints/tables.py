"""Tables of the complaints context.

``complaint_tickets.next_escalation_at`` and ``warn_at`` are the due rows the escalation
worker claims (indexed, NULL when nothing is due). ``complaint_escalations`` has one row per
ticket and level, unique, so a level can be reached only once whatever the workers do.
"""

from __future__ import annotations

import sqlalchemy as sa

from careline.complaints.model import MAX_BODY, MAX_CATEGORY, MAX_REASON, MAX_SUBJECT
from careline.db.metadata import UtcDateTime, metadata

complaint_number_days = sa.Table(
    "complaint_number_days",
    metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("last_sequence", sa.Integer, nullable=False),
)

complaint_tickets = sa.Table(
    "complaint_tickets",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("number", sa.String(12), nullable=False, unique=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("source", sa.String(8), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("subject", sa.String(MAX_SUBJECT), nullable=False, default=""),
    sa.Column("body", sa.Text, nullable=False, default=""),
    sa.Column("category", sa.String(MAX_CATEGORY), nullable=False, default=""),
    sa.Column("named_department_id", sa.Integer, nullable=True),
    sa.Column("doctor_id", sa.Integer, nullable=True),
    sa.Column("queue_department_id", sa.Integer, nullable=True),
    sa.Column(
        "patient_id", sa.Integer, sa.ForeignKey("patients.id", ondelete="SET NULL"), nullable=True
    ),
    sa.Column("contact_name", sa.String(64), nullable=False, default=""),
    sa.Column("contact_phone", sa.String(16), nullable=True),
    sa.Column("contact_email", sa.String(320), nullable=True),
    sa.Column("feedback_channel", sa.String(8), nullable=False, default="none"),
    sa.Column("language", sa.String(8), nullable=False, default="zh-CN"),
    sa.Column("recording_path", sa.String(500), nullable=True),
    sa.Column("multi_department", sa.Boolean, nullable=False, default=False),
    sa.Column("first_contact_staff_id", sa.Integer, nullable=True),
    sa.Column("assignee_staff_id", sa.Integer, nullable=True),
    sa.Column("escalation_level", sa.Integer, nullable=False, default=0),
    sa.Column("email_message_id", sa.String(500), nullable=True),
    sa.Column("received_at", UtcDateTime, nullable=False),
    sa.Column("first_response_due_at", UtcDateTime, nullable=True),
    sa.Column("first_responded_at", UtcDateTime, nullable=True),
    sa.Column("resolution_due_at", UtcDateTime, nullable=True),
    sa.Column("resolved_at", UtcDateTime, nullable=True),
    sa.Column("paused_at", UtcDateTime, nullable=True),
    sa.Column("next_escalation_at", UtcDateTime, nullable=True),
    sa.Column("warn_at", UtcDateTime, nullable=True),
    sa.Column("merged_into_id", sa.Integer, sa.ForeignKey("complaint_tickets.id"), nullable=True),
    sa.Column("version", sa.Integer, nullable=False, default=1),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Index("ix_complaint_tickets_queue", "queue_department_id", "status"),
    sa.Index("ix_complaint_tickets_status", "status"),
    sa.Index("ix_complaint_tickets_patient_id", "patient_id"),
    sa.Index("ix_complaint_tickets_next_escalation_at", "next_escalation_at"),
    sa.Index("ix_complaint_tickets_warn_at", "warn_at"),
    sa.Index("ix_complaint_tickets_received_at", "received_at"),
    sa.Index("ix_complaint_tickets_email_message_id", "email_message_id"),
)

complaint_events = sa.Table(
    "complaint_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "ticket_id",
        sa.Integer,
        sa.ForeignKey("complaint_tickets.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("staff_id", sa.Integer, nullable=True),
    sa.Column("from_status", sa.String(20), nullable=True),
    sa.Column("to_status", sa.String(20), nullable=True),
    sa.Column("body", sa.String(MAX_BODY), nullable=False, default=""),
    sa.Column("reason", sa.String(MAX_REASON), nullable=False, default=""),
)

complaint_escalations = sa.Table(
    "complaint_escalations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "ticket_id",
        sa.Integer,
        sa.ForeignKey("complaint_tickets.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("level", sa.Integer, nullable=False),
    sa.Column("automatic", sa.Boolean, nullable=False),
    sa.Column("staff_id", sa.Integer, nullable=True),
    sa.Column("reason", sa.String(MAX_REASON), nullable=False, default=""),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("ticket_id", "level"),
)

complaint_attachments = sa.Table(
    "complaint_attachments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "ticket_id",
        sa.Integer,
        sa.ForeignKey("complaint_tickets.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("filename", sa.String(255), nullable=False),
    sa.Column("content_type", sa.String(100), nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=True),
    sa.Column("refused_reason", sa.String(200), nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

complaint_routing_rules = sa.Table(
    "complaint_routing_rules",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("priority", sa.Integer, nullable=False, default=100),
    sa.Column("kind", sa.String(16), nullable=True),
    sa.Column("category", sa.String(MAX_CATEGORY), nullable=False, default=""),
    sa.Column("department_id", sa.Integer, nullable=True),
    sa.Column("doctor_id", sa.Integer, nullable=True),
    sa.Column("keywords", sa.String(1000), nullable=False, default=""),
    sa.Column("target_department_id", sa.Integer, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
)
