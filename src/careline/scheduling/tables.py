"""Tables of the scheduling context.

``booking_sessions`` holds a row for each clinic session someone has booked (or that was
stopped): it is the row every booking of that session locks, and it keeps the capacity
and fee the patients were told even if the weekly template changes later.
"""

from __future__ import annotations

import sqlalchemy as sa

from careline.db.metadata import UtcDateTime, metadata

booking_sessions = sa.Table(
    "booking_sessions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("doctor_id", sa.Integer, sa.ForeignKey("doctors.id"), nullable=False),
    sa.Column("department_id", sa.Integer, sa.ForeignKey("departments.id"), nullable=False),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("period", sa.String(16), nullable=False),
    sa.Column("starts_at", UtcDateTime, nullable=False),
    sa.Column("ends_at", UtcDateTime, nullable=False),
    sa.Column("capacity", sa.Integer, nullable=False),
    sa.Column("registration_fee", sa.Integer, nullable=False),
    sa.Column("stopped", sa.Boolean, nullable=False, default=False),
    sa.Column("stop_reason", sa.String(200), nullable=False, default=""),
    # Places held per period and channel, as JSON {"<period index>": {"<channel>": n}},
    # kept by PostgreSQL's booking path so that one locked read answers the rules; NULL
    # (the default, and after any cancellation) means "count again from the bookings".
    sa.Column("taken_counts", sa.Text, nullable=True),
    # Places of each period set for this day, as a JSON list of ints (one per period);
    # NULL: the even split of ``capacity``, which is otherwise kept equal to their sum.
    sa.Column("period_capacities", sa.Text, nullable=True),
    sa.UniqueConstraint("doctor_id", "day", "period"),
    sa.Index("ix_booking_sessions_day_department", "day", "department_id"),
)

bookings = sa.Table(
    "bookings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("session_id", sa.Integer, sa.ForeignKey("booking_sessions.id"), nullable=False),
    sa.Column("patient_id", sa.Integer, sa.ForeignKey("patients.id"), nullable=False),
    sa.Column("card_id", sa.Integer, sa.ForeignKey("member_cards.id"), nullable=False),
    sa.Column("department_id", sa.Integer, nullable=False),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("period_index", sa.Integer, nullable=False),
    sa.Column("period_starts_at", UtcDateTime, nullable=False),
    sa.Column("period_ends_at", UtcDateTime, nullable=False),
    sa.Column("queue_number", sa.Integer, nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("fee", sa.Integer, nullable=False),
    sa.Column("idempotency_key", sa.String(100), nullable=False, unique=True),
    sa.Column("charge_entry_id", sa.Integer, nullable=True),
    sa.Column("refund_entry_id", sa.Integer, nullable=True),
    sa.Column("staff_id", sa.Integer, sa.ForeignKey("staff_members.id"), nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("closed_at", UtcDateTime, nullable=True),
    sa.UniqueConstraint("session_id", "queue_number"),
    sa.Index("ix_bookings_patient_day", "patient_id", "day"),
    sa.Index("ix_bookings_session_status", "session_id", "status"),
)

waitlist_entries = sa.Table(
    "waitlist_entries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("session_id", sa.Integer, sa.ForeignKey("booking_sessions.id"), nullable=False),
    sa.Column("patient_id", sa.Integer, sa.ForeignKey("patients.id"), nullable=False),
    sa.Column("card_id", sa.Integer, sa.ForeignKey("member_cards.id"), nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("period_index", sa.Integer, nullable=True),
    sa.Column("offer_expires_at", UtcDateTime, nullable=True),
    sa.Column("booking_id", sa.Integer, sa.ForeignKey("bookings.id"), nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Index("ix_waitlist_entries_session_status", "session_id", "status"),
)
