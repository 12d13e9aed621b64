"""membership and scheduling: member cards, ledger, portal sign-in, bookings, waiting list

Revision ID: 0002_booking
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import careline.db.metadata

revision: str = "0002_booking"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    #
    op.create_table(
        "portal_sign_in_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("used", sa.Boolean(), nullable=False),
        sa.Column("created_at", careline.db.metadata.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", careline.db.metadata.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_sign_in_codes")),
    )
    op.create_index(
        "ix_portal_sign_in_codes_phone_created",
        "portal_sign_in_codes",
        ["phone", "created_at"],
        unique=False,
    )
    op.create_table(
        "member_cards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("card_number", sa.String(length=16), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("pin_hash", sa.String(length=200), nullable=False),
        sa.Column("failed_pin_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_until", careline.db.metadata.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_at", careline.db.metadata.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", careline.db.metadata.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_member_cards_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_cards")),
        sa.UniqueConstraint("card_number", name=op.f("uq_member_cards_card_number")),
    )
    op.create_index(
        op.f("ix_member_cards_patient_id"), "member_cards", ["patient_id"], unique=False
    )
    op.create_table(
        "booking_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("doctor_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("starts_at", careline.db.metadata.UtcDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", careline.db.metadata.UtcDateTime(timezone=True), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("registration_fee", sa.Integer(), nullable=False),
        sa.Column("stopped", sa.Boolean(), nullable=False),
        sa.Column("stop_reason", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_booking_sessions_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["doctor_id"], ["doctors.id"], name=op.f("fk_booking_sessions_doctor_id_doctors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_sessions")),
        sa.UniqueConstraint(
            "doctor_id", "day", "period", name=op.f("uq_booking_sessions_doctor_id_day_period")
        ),
    )
    op.create_index(
        "ix_booking_sessions_day_department",
        "booking_sessions",
        ["day", "department_id"],
        unique=False,
    )
    op.create_table(
        "member_ledger_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("created_at", careline.db.metadata.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["card_id"],
            ["member_cards.id"],
            name=op.f("fk_member_ledger_entries_card_id_member_cards"),
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_members.id"],
            name=op.f("fk_member_ledger_entries_staff_id_staff_members"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_ledger_entries")),
        sa.UniqueConstraint(
            "idempotency_key", name=op.f("uq_member_ledger_entries_idempotency_key")
        ),
    )
    op.create_index(
        "ix_member_ledger_entries_card_created",
        "member_ledger_entries",
        ["card_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "portal_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=True),
        sa.Column("created_at", careline.db.metadata.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", careline.db.metadata.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["card_id"], ["member_cards.id"], name=op.f("fk_portal_sessions_card_id_member_cards")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_portal_sessions_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_portal_sessions")),
    )
    op.create_table(
        "bookings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("period_index", sa.Integer(), nullable=False),
        sa.Column(
            "period_starts_at", careline.db.metadata.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "period_ends_at", careline.db.metadata.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column("queue_number", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("fee", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.Column("charge_entry_id", sa.Integer(), nullable=True),
        sa.Column("refund_entry_id", sa.Integer(), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("created_at", careline.db.metadata.UtcDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", careline.db.metadata.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["card_id"], ["member_cards.id"], name=op.f("fk_bookings_card_id_member_cards")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_bookings_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["booking_sessions.id"],
            name=op.f("fk_bookings_session_id_booking_sessions"),
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_members.id"], name=op.f("fk_bookings_staff_id_staff_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bookings")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_bookings_idempotency_key")),
        sa.UniqueConstraint(
            "session_id", "queue_number", name=op.f("uq_bookings_session_id_queue_number")
        ),
    )
    op.create_index("ix_bookings_patient_day", "bookings", ["patient_id", "day"], unique=False)
    op.create_index(
        "ix_bookings_session_status", "bookings", ["session_id", "status"], unique=False
    )
    op.create_table(
        "waitlist_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("period_index", sa.Integer(), nullable=True),
        sa.Column(
            "offer_expires_at", careline.db.metadata.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column("created_at", careline.db.metadata.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_waitlist_entries_booking_id_bookings")
        ),
        sa.ForeignKeyConstraint(
            ["card_id"], ["member_cards.id"], name=op.f("fk_waitlist_entries_card_id_member_cards")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_waitlist_entries_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["booking_sessions.id"],
            name=op.f("fk_waitlist_entries_session_id_booking_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_entries")),
    )
    op.create_index(
        "ix_waitlist_entries_session_status",
        "waitlist_entries",
        ["session_id", "status"],
        unique=False,
    )


def downgrade() -> None:
    #
    op.drop_index("ix_waitlist_entries_session_status", table_name="waitlist_entries")
    op.drop_table("waitlist_entries")
    op.drop_index("ix_bookings_session_status", table_name="bookings")
    op.drop_index("ix_bookings_patient_day", table_name="bookings")
    op.drop_table("bookings")
    op.drop_table("portal_sessions")
    op.drop_index("ix_member_ledger_entries_card_created", table_name="member_ledger_entries")
    op.drop_table("member_ledger_entries")
    op.drop_index("ix_booking_sessions_day_department", table_name="booking_sessions")
    op.drop_table("booking_sessions")
    op.drop_index(op.f("ix_member_cards_patient_id"), table_name="member_cards")
    op.drop_table("member_cards")
    op.drop_index("ix_portal_sign_in_codes_phone_created", table_name="portal_sign_in_codes")
    op.drop_table("portal_sign_in_codes")
