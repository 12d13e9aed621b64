"""Tables of the acd context: queues, agent profiles, call records, callbacks."""

from __future__ import annotations

import sqlalchemy as sa

from careline.db.metadata import UtcDateTime, metadata

acd_queues = sa.Table(
    "acd_queues",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(40), nullable=False, unique=True),
    sa.Column("skills", sa.JSON, nullable=False),
    sa.Column("opens", sa.String(5), nullable=False, default="00:00"),
    sa.Column("closes", sa.String(5), nullable=False, default="23:59"),
    sa.Column("weekdays", sa.String(7), nullable=False, default="0123456"),
    sa.Column("widen_after_seconds", sa.Integer, nullable=False),
    sa.Column("max_wait_seconds", sa.Integer, nullable=False),
    sa.Column("overflow", sa.String(16), nullable=False),
)

acd_agent_profiles = sa.Table(
    "acd_agent_profiles",
    metadata,
    sa.Column(
        "staff_id",
        sa.Integer,
        sa.ForeignKey("staff_members.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("skills", sa.JSON, nullable=False),
    sa.Column("queues", sa.JSON, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

acd_call_records = sa.Table(
    "acd_call_records",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("call_id", sa.String(200), nullable=False, unique=True),
    sa.Column("queue", sa.String(40), nullable=False, index=True),
    sa.Column("caller", sa.String(64), nullable=False, default=""),
    sa.Column("patient_id", sa.Integer, nullable=True),
    sa.Column("language", sa.String(8), nullable=False, default="zh-CN"),
    sa.Column("ivr_path", sa.JSON, nullable=False),
    sa.Column("offered_at", UtcDateTime, nullable=False, index=True),
    sa.Column("answered_at", UtcDateTime, nullable=True),
    sa.Column("ended_at", UtcDateTime, nullable=True),
    sa.Column("agent_id", sa.Integer, sa.ForeignKey("staff_members.id"), nullable=True),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("wrap_up_code", sa.String(40), nullable=False, default=""),
    sa.Column("wrap_up_seconds", sa.Integer, nullable=False, default=0),
    sa.Column("notes", sa.Text, nullable=False, default=""),
    sa.Column("recording_path", sa.String(300), nullable=True),
    sa.Column("consult_doctor_id", sa.Integer, nullable=True),
    sa.Index("ix_acd_call_records_caller", "caller"),
)

acd_callbacks = sa.Table(
    "acd_callbacks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("call_id", sa.String(200), nullable=False),
    sa.Column("queue", sa.String(40), nullable=False),
    sa.Column("number", sa.String(32), nullable=False),
    sa.Column("requested_at", UtcDateTime, nullable=False, index=True),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("agent_id", sa.Integer, sa.ForeignKey("staff_members.id"), nullable=True),
    sa.Column("done_at", UtcDateTime, nullable=True),
)
