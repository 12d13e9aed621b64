"""Tables of the integrations context: HIS identifiers, the exchange log, pushes, tokens."""

from __future__ import annotations

import sqlalchemy as sa

from careline.db.metadata import UtcDateTime, metadata

# One row per identifier the hospital's systems know a patient by (MRN, ID card, insurance).
his_identifiers = sa.Table(
    "his_identifiers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("patient_id", sa.Integer, sa.ForeignKey("patients.id"), nullable=False),
    sa.Column("system", sa.String(16), nullable=False),
    sa.Column("value", sa.String(64), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("system", "value"),
    sa.Index("ix_his_identifiers_patient_id", "patient_id"),
)

# An identifier the HIS claimed for one patient while Careline holds it for another.
his_identifier_conflicts = sa.Table(
    "his_identifier_conflicts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("system", sa.String(16), nullable=False),
    sa.Column("value", sa.String(64), nullable=False),
    sa.Column("held_by_patient_id", sa.Integer, nullable=True),
    sa.Column("claimed_for_patient_id", sa.Integer, nullable=True),
    sa.Column("source", sa.String(80), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("resolved_at", UtcDateTime, nullable=True),
)

his_exchange_log = sa.Table(
    "his_exchange_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("direction", sa.String(8), nullable=False),
    sa.Column("protocol", sa.String(16), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("control_id", sa.String(64), nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("error", sa.String(500), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Index("ix_his_exchange_log_at", "at"),
    sa.Index("ix_his_exchange_log_control_id", "control_id"),
)

# Inbound control ids already applied, with the answer given, so a resent message is not
# applied twice and gets the same acknowledgement.
his_processed_messages = sa.Table(
    "his_processed_messages",
    metadata,
    sa.Column("sender", sa.String(80), primary_key=True),
    sa.Column("control_id", sa.String(64), primary_key=True),
    sa.Column("ack_code", sa.String(2), nullable=False),
    sa.Column("ack", sa.Text, nullable=False),
    sa.Column("received_at", UtcDateTime, nullable=False),
)

his_pushes = sa.Table(
    "his_pushes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("booking_id", sa.Integer, sa.ForeignKey("bookings.id"), nullable=False),
    sa.Column("event", sa.String(16), nullable=False),
    sa.Column("target", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", UtcDateTime, nullable=True),
    sa.Column("last_error", sa.String(500), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("sent_at", UtcDateTime, nullable=True),
    sa.UniqueConstraint("booking_id", "event", "target"),
    sa.Index("ix_his_pushes_status_next_attempt_at", "status", "next_attempt_at"),
)

# Bookings the HIS knows under its own appointment number (SCH-2 / Appointment.identifier).
his_appointment_links = sa.Table(
    "his_appointment_links",
    metadata,
    sa.Column("booking_id", sa.Integer, sa.ForeignKey("bookings.id"), primary_key=True),
    sa.Column("his_id", sa.String(64), nullable=False, unique=True),
)

his_cursors = sa.Table(
    "his_cursors",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("at", UtcDateTime, nullable=False),
)

his_client_tokens = sa.Table(
    "his_client_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(80), nullable=False),
    sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("revoked_at", UtcDateTime, nullable=True),
)
