"""The booking path's statements sent straight through asyncpg on PostgreSQL.

Per statement, SQLAlchemy's async Core path (the greenlet bridge, execution context,
result processing) cost more Python time than PostgreSQL spends running it. The hot
statements of a booking therefore go to the asyncpg connection underneath the unit of
work's own connection: the same transaction (started through SQLAlchemy's adapter when
it has not begun yet, so SQLAlchemy commits or rolls it back as usual), the same SQL
text as ``booking_sql`` (numbered once at import) and the same locks. asyncpg prepares
each statement once per connection (its statement cache). SQLite keeps the generic path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from careline.scheduling import booking_sql as sql
from careline.scheduling.model import BookingSession, BookingState, Channel
from careline.scheduling.repository import (
    Row,
    SchedulingRepository,
    session_from_row,
    state_from_rows,
)

_NAME = re.compile(r"(?<![:\w]):(\w+)")
_UNIQUE_VIOLATION = "23505"


class _Numbered:
    """A statement with named parameters turned into asyncpg's ``$1, $2, ...``."""

    __slots__ = ("names", "sql")

    def __init__(self, sql: str) -> None:
        names: list[str] = []

        def number(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in names:
                names.append(name)
            return f"${names.index(name) + 1}"

        self.sql = _NAME.sub(number, sql)
        self.names = tuple(names)

    def args(self, params: Mapping[str, Any]) -> list[Any]:
        return [params[name] for name in self.names]


# The booking path's statements by the names SchedulingRepository runs them by.
_STATEMENTS = {
    "lock_session_at": _Numbered(
        "SELECT * FROM booking_sessions WHERE doctor_id = :at_doctor AND day = :at_day "
        "AND period = :at_period FOR UPDATE"
    ),
    "lock_session": _Numbered("SELECT * FROM booking_sessions WHERE id = :id FOR UPDATE"),
    "state": _Numbered(sql.STATE_SQL + " FOR UPDATE OF c"),
    "history": _Numbered(sql.HISTORY_SQL),
    # A booking inserted without counting voids the session's counts.
    "insert_booking": _Numbered(
        "WITH forgotten AS (UPDATE booking_sessions SET taken_counts = NULL WHERE id = :session) "
        + sql.INSERT_BOOKING_SQL
    ),
    "charge_and_book": _Numbered(sql.CHARGE_AND_BOOK_SQL),
}
# The session and the card locked by one statement, in that order (the order of FOR
# UPDATE OF, as every other path takes them), with the session's place counts. A row
# lock waited for returns the row's newest version, so the counts and the balance are
# current; the subqueries read the snapshot taken before the locks were granted, which
# is why the charging statement requires them unchanged.
_LOCK_AND_READ = _Numbered(
    f"""SELECT s.*, c.status AS card_status, c.patient_id, c.balance, p.id AS found,
  p.id_number, p.merged_into_id, {sql.EARLIER_SQL} AS earlier,
  {sql.held_sql("s.id")} AS held, {sql.OWN_OFFER_SQL} AS own_offer,
  h.status AS h_status, h.day AS h_day, h.department_id AS h_department
FROM booking_sessions s JOIN member_cards c ON c.id = :card {sql.HISTORY_JOIN}
WHERE s.doctor_id = :doctor AND s.day = :day AND s.period = :period
FOR UPDATE OF s, c"""
)

Counts = dict[str, dict[str, int]]  # period index -> channel -> places held


class PgSchedulingRepository(SchedulingRepository):
    """``SchedulingRepository`` whose booking statements skip SQLAlchemy's execution layer."""

    def __init__(self, conn: AsyncConnection) -> None:
        super().__init__(conn)
        self._adapted: Any = None  # SQLAlchemy's adapter around the asyncpg connection
        # The place counts of each session locked by this repository, read under its lock.
        self._counts: dict[int, Counts] = {}

    async def _driver(self) -> Any:
        """The asyncpg connection, inside the unit of work's transaction."""
        if self._adapted is None:
            self._adapted = (await self.conn.get_raw_connection()).dbapi_connection
        adapted = self._adapted
        # SQLAlchemy's adapter sends BEGIN with its first statement; when none has run
        # yet in this transaction, begin it the same way so that commit and rollback
        # through the unit of work end it. (Private to SQLAlchemy's asyncpg dialect, as
        # of 2.0/2.1; test_pg_booking_path fails loudly if that changes.)
        if adapted._transaction is None:
            await adapted._start_transaction()
        return adapted.driver_connection

    async def _run(
        self, statement: _Numbered, params: Mapping[str, Any], call: str = "fetch"
    ) -> Any:
        driver = await self._driver()
        method: Callable[..., Awaitable[Any]] = getattr(driver, call)
        try:
            return await method(statement.sql, *statement.args(params))
        except Exception as exc:
            # The callers tell a reused request key by SQLAlchemy's IntegrityError.
            if getattr(exc, "sqlstate", None) == _UNIQUE_VIOLATION:
                raise IntegrityError(statement.sql, None, exc) from exc
            raise

    async def _rows(self, name: str, params: Mapping[str, Any]) -> list[Row]:
        """Run the booking path's statement ``name``; asyncpg's records read by column."""
        rows: list[Row] = await self._run(_STATEMENTS[name], params)
        return rows

    async def _row(self, name: str, params: Mapping[str, Any]) -> Row | None:
        """Run the booking path's statement ``name``; return its first row, if any."""
        row: Row | None = await self._run(_STATEMENTS[name], params, "fetchrow")
        return row

    def _counted(self, session_id: int, period_index: int, channel: str) -> str | None:
        """The session's counts with one more place taken, as stored; None if unknown."""
        counts = self._counts.get(session_id)
        if counts is None:
            return None
        in_period = dict(counts.get(str(period_index), {}))
        in_period[channel] = in_period.get(channel, 0) + 1
        return json.dumps({**counts, str(period_index): in_period}, separators=(",", ":"))

    async def lock_session_and_state(
        self,
        doctor_id: int,
        day: date,
        period: str,
        *,
        period_index: int,
        card_id: int,
        channel: Channel,
        key: str,
        waitlist_id: int | None,
        now: datetime,
        since: date,
    ) -> tuple[BookingSession, BookingState | None] | None:
        """Lock the session and the card and read the state in one trip when counted."""
        params = {
            "doctor": doctor_id,
            "day": day,
            "period": str(period),
            "card": card_id,
            "key": key,
            "waitlist": waitlist_id,
            "period_index": period_index,
            "now": now,
            "since": since,
        }
        rows = await self._run(_LOCK_AND_READ, params)
        session: BookingSession | None
        if not rows:  # the session is not stored yet, or there is no such card
            session = await self.lock_session_at(doctor_id, day, period)
            if session is None:
                return None
        else:
            session = session_from_row(rows[0])
            if rows[0]["taken_counts"] is not None and session.registration_fee > 0:
                return session, self._counted_state(rows, period_index, channel)
        # Count again, now that both locks are held (a free booking is written without
        # the charging statement's checks, so it reads afresh too).
        state = await self.booking_state(
            session_id=session.id,
            period_index=period_index,
            card_id=card_id,
            channel=channel,
            key=key,
            waitlist_id=waitlist_id,
            now=now,
            since=since,
        )
        if rows and session.registration_fee > 0:
            taken = await self.taken([session.id])
            self._counts[session.id] = {
                str(index): {str(ch): n for ch, n in by_channel.items()}
                for (_, index), by_channel in taken.items()
            }
        return session, state

    def _counted_state(self, rows: list[Row], period_index: int, channel: Channel) -> BookingState:
        """The state from the session's stored counts and the locked card's row."""
        counts: Counts = json.loads(rows[0]["taken_counts"])
        self._counts[rows[0]["id"]] = counts
        in_period = counts.get(str(period_index), {})
        return state_from_rows(
            rows,
            card_status=rows[0]["card_status"],
            taken=sum(in_period.values()),
            taken_by_channel=in_period.get(channel.value, 0),
            history_current=False,
        )


def booking_repository(conn: AsyncConnection) -> SchedulingRepository:
    """The scheduling repository for ``conn``'s database, with the fast path on PostgreSQL."""
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "asyncpg":
        return PgSchedulingRepository(conn)
    return SchedulingRepository(conn)
