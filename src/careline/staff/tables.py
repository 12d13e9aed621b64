"""Tables of the staff context."""

from __future__ import annotations

import sqlalchemy as sa

from careline.db.metadata import UtcDateTime, metadata

staff_members = sa.Table(
    "staff_members",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(32), nullable=False, unique=True),
    sa.Column("display_name", sa.String(64), nullable=False),
    sa.Column("roles", sa.String(200), nullable=False),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("doctor_id", sa.Integer, nullable=True),
    sa.Column("department_id", sa.Integer, nullable=True),
    sa.Column("language", sa.String(8), nullable=False, default="zh-CN"),
    sa.Column("failed_attempts", sa.Integer, nullable=False, default=0),
    sa.Column("locked_until", UtcDateTime, nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("last_sign_in_at", UtcDateTime, nullable=True),
)

staff_sessions = sa.Table(
    "staff_sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column(
        "staff_id",
        sa.Integer,
        sa.ForeignKey("staff_members.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", UtcDateTime, nullable=False, index=True),
    sa.Column("staff_id", sa.Integer, sa.ForeignKey("staff_members.id"), nullable=True),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("subject", sa.String(32), nullable=False),
    sa.Column("subject_id", sa.String(64), nullable=False),
    sa.Column("context", sa.String(256), nullable=False, default=""),
    sa.Index("ix_audit_log_subject", "subject", "subject_id"),
)

# SIP extensions of staff softphones: digest HA1 values only, never the clear SIP password.
staff_sip_extensions = sa.Table(
    "staff_sip_extensions",
    metadata,
    sa.Column(
        "staff_id",
        sa.Integer,
        sa.ForeignKey("staff_members.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("extension", sa.String(8), nullable=False, unique=True),
    sa.Column("realm", sa.String(64), nullable=False),
    sa.Column("ha1_md5", sa.String(32), nullable=False),
    sa.Column("ha1_sha256", sa.String(64), nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)
