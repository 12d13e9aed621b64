"""The booking path's SQL, built once at import, for both repositories.

Building and hashing a Core statement per call cost more Python time than PostgreSQL
spends running it. ``repository`` runs these through SQLAlchemy; ``pg_repository``
sends the same text straight through asyncpg.
"""

from __future__ import annotations

import sqlalchemy as sa

from careline.db.metadata import UtcDateTime
from careline.scheduling.model import BookingState, BookingStatus, WaitStatus
from careline.scheduling.tables import booking_sessions

# Statuses that keep their place: a no-show still used up the doctor's time.
HOLDING = (BookingStatus.BOOKED, BookingStatus.ATTENDED, BookingStatus.NO_SHOW)

_SESSION_AT = (
    booking_sessions.c.doctor_id == sa.bindparam("at_doctor"),
    booking_sessions.c.day == sa.bindparam("at_day", type_=sa.Date),
    booking_sessions.c.period == sa.bindparam("at_period"),
)
LOCK_SESSION_AT = {
    "postgresql": booking_sessions.select().where(*_SESSION_AT).with_for_update(),
    # SQLite: a no-op UPDATE takes the database's write lock (see lock_row).
    "sqlite": sa.update(booking_sessions)
    .where(*_SESSION_AT)
    .values(id=booking_sessions.c.id)
    .returning(*booking_sessions.c),
}
_HOLDING_SQL = ", ".join(f"'{status}'" for status in HOLDING)
_PERIOD = f"session_id = :session AND period_index = :period_index AND status IN ({_HOLDING_SQL})"
# Everything the rules read once the session is locked, in one trip, with one row per
# booking of the patient since :since (or one row of NULLs). On PostgreSQL it also locks
# the card (FOR UPDATE OF c); the session's counts cannot change meanwhile, but the
# patient's bookings are those of the snapshot taken before the card lock was granted,
# so the charge re-checks them (see CHARGE_AND_BOOK_PG). On SQLite the database's write
# lock is already held: every read is current.


def held_sql(session: str) -> str:
    """Places of the period offered to waiting patients, for the session ``session``."""
    return (
        f"(SELECT COUNT(*) FROM waitlist_entries w WHERE w.session_id = {session} "
        f"AND w.period_index = :period_index AND w.status = '{WaitStatus.OFFERED}' "
        "AND w.offer_expires_at > :now)"
    )


OWN_OFFER_SQL = (
    "(SELECT COUNT(*) FROM waitlist_entries w WHERE w.id = :waitlist AND w.card_id = :card "
    "AND w.period_index = :period_index AND w.offer_expires_at > :now)"
)
EARLIER_SQL = "(SELECT b.id FROM bookings b WHERE b.idempotency_key = :key)"
HISTORY_JOIN = (
    "LEFT JOIN patients p ON p.id = c.patient_id "
    "LEFT JOIN bookings h ON h.patient_id = c.patient_id AND h.day >= :since"
)
STATE_SQL = f"""
SELECT c.status, c.patient_id, c.balance, p.id AS found, p.id_number, p.merged_into_id,
  {EARLIER_SQL} AS earlier,
  (SELECT COUNT(*) FROM bookings WHERE {_PERIOD}) AS taken,
  (SELECT COUNT(*) FROM bookings WHERE {_PERIOD} AND channel = :channel) AS mine,
  {held_sql(":session")} AS held,
  {OWN_OFFER_SQL} AS own_offer,
  h.status AS h_status, h.day AS h_day, h.department_id AS h_department
FROM member_cards c {HISTORY_JOIN}
WHERE c.id = :card"""
_STATE_BINDS = (
    sa.bindparam("now", type_=UtcDateTime()),
    sa.bindparam("since", type_=sa.Date),
    sa.bindparam("waitlist", type_=sa.Integer),
    sa.bindparam("session", type_=sa.Integer),
    sa.bindparam("period_index", type_=sa.Integer),
    sa.bindparam("card", type_=sa.Integer),
)
STATE = {
    "postgresql": sa.text(STATE_SQL + " FOR UPDATE OF c")
    .bindparams(*_STATE_BINDS)
    .columns(h_day=sa.Date),
    "sqlite": sa.text(STATE_SQL).bindparams(*_STATE_BINDS).columns(h_day=sa.Date),
}
HISTORY_SQL = (
    "SELECT status, day, department_id FROM bookings WHERE patient_id = :patient AND day >= :since"
)
HISTORY = (
    sa.text(HISTORY_SQL)
    .bindparams(sa.bindparam("patient", type_=sa.Integer), sa.bindparam("since", type_=sa.Date))
    .columns(status=sa.String, day=sa.Date, department_id=sa.Integer)
)
_NEXT_NUMBER = (
    "(SELECT COALESCE(MAX(queue_number), 0) + 1 FROM bookings WHERE session_id = :session)"
)
_BOOKING_COLUMNS = (
    "session_id, patient_id, card_id, department_id, day, period_index, period_starts_at, "
    "period_ends_at, queue_number, channel, status, fee, idempotency_key, charge_entry_id, "
    "staff_id, created_at"
)


def _booking_values(entry: str, *, typed: bool) -> str:
    """The SELECT list of a new booking; ``typed`` casts for PostgreSQL's INSERT ... SELECT."""

    def cast(name: str, sql_type: str) -> str:
        return f"CAST(:{name} AS {sql_type})" if typed else f":{name}"

    stamp = "TIMESTAMP WITH TIME ZONE"
    return (
        f"{cast('session', 'INTEGER')}, {cast('patient', 'INTEGER')}, {cast('card', 'INTEGER')}, "
        f"{cast('department', 'INTEGER')}, {cast('day', 'DATE')}, "
        f"{cast('period_index', 'INTEGER')}, {cast('starts', stamp)}, {cast('ends', stamp)}, "
        f"{_NEXT_NUMBER}, {cast('channel', 'VARCHAR')}, '{BookingStatus.BOOKED}', "
        f"{cast('fee', 'INTEGER')}, {cast('key', 'VARCHAR')}, {entry}, "
        f"{cast('staff', 'INTEGER')}, {cast('now', stamp)}"
    )


_BOOKING_BINDS = (
    sa.bindparam("day", type_=sa.Date),
    sa.bindparam("starts", type_=UtcDateTime()),
    sa.bindparam("ends", type_=UtcDateTime()),
    sa.bindparam("now", type_=UtcDateTime()),
    sa.bindparam("staff", type_=sa.Integer),
)
# The booking row with the session's next queue number (the session is locked).
INSERT_BOOKING_SQL = (
    f"INSERT INTO bookings ({_BOOKING_COLUMNS}) VALUES "
    f"({_booking_values(':entry', typed=False)}) "
    "RETURNING id, queue_number, charge_entry_id"
)
INSERT_BOOKING = sa.text(INSERT_BOOKING_SQL).bindparams(
    *_BOOKING_BINDS, sa.bindparam("entry", type_=sa.Integer)
)
# PostgreSQL: the fee off the cached balance (refused below zero), its ledger entry and
# the booking, in one statement; no row back means the balance was too low.
_OPEN = f"FROM bookings WHERE patient_id = :patient AND status = '{BookingStatus.BOOKED}'"
# It also requires that what the rules read in the snapshot of an earlier statement is
# still so (no booking with this key, the same places held for waiting patients), and
# stores the session's new place counts (:counts; NULL: to be counted again).
CHARGE_AND_BOOK_SQL = f"""WITH charged AS (
  UPDATE member_cards SET balance = balance - CAST(:fee AS BIGINT)
  WHERE id = :card AND balance >= CAST(:fee AS BIGINT)
    AND NOT EXISTS (SELECT 1 {_OPEN} AND day = :day AND department_id = :department)
    AND (SELECT COUNT(*) {_OPEN} AND day >= :today) < :max_active
    AND {EARLIER_SQL} IS NULL
    AND {held_sql(":session")} = :held AND {OWN_OFFER_SQL} = :own_offer
  RETURNING id
), entry AS (
  INSERT INTO member_ledger_entries
    (card_id, kind, amount, idempotency_key, reason, staff_id, created_at)
  SELECT id, 'charge', -CAST(:fee AS BIGINT), CAST(:entry_key AS VARCHAR),
    CAST(:reason AS VARCHAR), CAST(:staff AS INTEGER), CAST(:now AS TIMESTAMP WITH TIME ZONE)
  FROM charged
  RETURNING id
), counted AS (
  UPDATE booking_sessions SET taken_counts = CAST(:counts AS TEXT)
  FROM entry WHERE booking_sessions.id = :session
  RETURNING entry.id
)
INSERT INTO bookings ({_BOOKING_COLUMNS})
SELECT {_booking_values("counted.id", typed=True)} FROM counted
RETURNING id, queue_number, charge_entry_id"""
CHARGE_AND_BOOK_PG = sa.text(CHARGE_AND_BOOK_SQL).bindparams(
    *_BOOKING_BINDS,
    sa.bindparam("today", type_=sa.Date),
    sa.bindparam("max_active", type_=sa.Integer),
    sa.bindparam("waitlist", type_=sa.Integer),
    sa.bindparam("held", type_=sa.Integer),
    sa.bindparam("own_offer", type_=sa.Integer),
    sa.bindparam("counts", type_=sa.Text),
)
# A cancelled or stopped booking gives its place back: the session's counts are void.
FORGET_COUNTS = sa.text(
    "UPDATE booking_sessions SET taken_counts = NULL "
    "WHERE id = (SELECT session_id FROM bookings WHERE id = :booking) "
    "AND taken_counts IS NOT NULL"
)
RELEASING = (BookingStatus.CANCELLED, BookingStatus.STOPPED)


def guards(state: BookingState) -> dict[str, int]:
    """What the charging statement requires to be unchanged since ``state`` was read."""
    return {"held": state.held, "own_offer": 1 if state.own_offer else 0}
