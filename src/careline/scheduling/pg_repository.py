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
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from careline.scheduling import booking_sql as sql
from careline.scheduling.model import BookingSession, BookingState, Channel
from careline.scheduling.repository import SchedulingRepository

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


_LOCK_SESSION_AT = _Numbered(
    "SELECT * FROM booking_sessions WHERE doctor_id = :doctor AND day = :day "
    "AND period = :period FOR UPDATE"
)
_LOCK_SESSION = _Numbered("SELECT * FROM booking_sessions WHERE id = :id FOR UPDATE")
_STATE = _Numbered(sql.STATE_SQL + " FOR UPDATE OF c")
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
_HISTORY = _Numbered(sql.HISTORY_SQL)
# A booking inserted without counting voids the session's counts.
_INSERT_BOOKING = _Numbered(
    "WITH forgotten AS (UPDATE booking_sessions SET taken_counts = NULL WHERE id = :session) "
    + sql.INSERT_BOOKING_SQL
)
_CHARGE_AND_BOOK = _Numbered(sql.CHARGE_AND_BOOK_SQL)


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is UTC else value.astimezone(UTC)


def _session(row: Any) -> BookingSession:
    return BookingSession(
        id=row["id"],
        doctor_id=row["doctor_id"],
        department_id=row["department_id"],
        day=row["day"],
        period=row["period"],
        starts_at=_utc(row["starts_at"]),
        ends_at=_utc(row["ends_at"]),
        capacity=row["capacity"],
        registration_fee=row["registration_fee"],
        stopped=row["stopped"],
        stop_reason=row["stop_reason"],
    )


Counts = dict[str, dict[str, int]]  # period index -> channel -> places held


def _history(rows: list[Any]) -> list[tuple[str, date, int]]:
    return [(r["h_status"], r["h_day"], r["h_department"]) for r in rows if r["h_day"] is not None]


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

    async def lock_session_at(
        self, doctor_id: int, day: date, period: str
    ) -> BookingSession | None:
        """Lock and return the stored session of a doctor's clinic, if it is stored."""
        params = {"doctor": doctor_id, "day": day, "period": str(period)}
        row = await self._run(_LOCK_SESSION_AT, params, "fetchrow")
        return _session(row) if row is not None else None

    async def lock_session(self, session_id: int) -> BookingSession:
        row = await self._run(_LOCK_SESSION, {"id": session_id}, "fetchrow")
        assert row is not None, "sessions are never deleted"
        return _session(row)

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
        if not rows:  # the session is not stored yet, or there is no such card
            return await super().lock_session_and_state(
                doctor_id,
                day,
                period,
                period_index=period_index,
                card_id=card_id,
                channel=channel,
                key=key,
                waitlist_id=waitlist_id,
                now=now,
                since=since,
            )
        row = rows[0]
        session = _session(row)
        if row["taken_counts"] is None or session.registration_fee <= 0:
            # Count again, now that both locks are held (a free booking is written
            # without the charging statement's checks, so it reads afresh too).
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
            if session.registration_fee > 0:
                taken = await self.taken([session.id])
                self._counts[session.id] = {
                    str(index): {str(ch): n for ch, n in by_channel.items()}
                    for (_, index), by_channel in taken.items()
                }
            return session, state
        counts: Counts = json.loads(row["taken_counts"])
        self._counts[session.id] = counts
        in_period = counts.get(str(period_index), {})
        return session, BookingState(
            card_status=row["card_status"],
            patient_id=row["patient_id"],
            balance=int(row["balance"]),
            id_number=row["id_number"] if row["found"] is not None else None,
            merged=row["merged_into_id"] is not None,
            earlier_id=row["earlier"],
            taken=sum(in_period.values()),
            taken_by_channel=in_period.get(channel.value, 0),
            held=int(row["held"]),
            own_offer=bool(row["own_offer"]),
            history=_history(rows),
            history_current=False,
        )

    async def booking_state(
        self,
        *,
        session_id: int,
        period_index: int,
        card_id: int,
        channel: Channel,
        key: str,
        waitlist_id: int | None,
        now: datetime,
        since: date,
    ) -> BookingState | None:
        """Read what the rules need under the session lock; lock the card. None: no card."""
        params = {
            "since": since,
            "session": session_id,
            "period_index": period_index,
            "card": card_id,
            "channel": channel.value,
            "key": key,
            "waitlist": waitlist_id,
            "now": now,
        }
        rows = await self._run(_STATE, params)
        if not rows:
            return None
        row = rows[0]
        return BookingState(
            card_status=row["status"],
            patient_id=row["patient_id"],
            balance=int(row["balance"]),
            id_number=row["id_number"] if row["found"] is not None else None,
            merged=row["merged_into_id"] is not None,
            earlier_id=row["earlier"],
            taken=int(row["taken"]),
            taken_by_channel=int(row["mine"]),
            held=int(row["held"]),
            own_offer=bool(row["own_offer"]),
            history=_history(rows),
            # Read in the snapshot taken before the card lock was granted.
            history_current=False,
        )

    async def patient_history(self, patient_id: int, since: date) -> list[tuple[str, date, int]]:
        """Return (status, day, department) of a patient's bookings from ``since`` on."""
        rows = await self._run(_HISTORY, {"patient": patient_id, "since": since})
        return [(row[0], row[1], row[2]) for row in rows]

    async def insert_booking(
        self, values: dict[str, Any], *, entry_id: int | None
    ) -> tuple[int, int, int | None]:
        """Insert a booking with the session's next number; return id, number and charge."""
        row = await self._run(_INSERT_BOOKING, {**values, "entry": entry_id}, "fetchrow")
        return row[0], row[1], row[2]

    async def charge_and_insert_booking(
        self,
        values: dict[str, Any],
        *,
        entry_key: str,
        reason: str,
        today: date,
        max_active: int,
        state: BookingState,
    ) -> tuple[int, int, int | None] | None:
        """Charge and book at once; None if too poor, or a limit or ``state`` changed."""
        params = {
            **values,
            **sql.guards(state),
            "entry_key": entry_key,
            "reason": reason,
            "today": today,
            "max_active": max_active,
            "counts": self._counted(values["session"], values["period_index"], values["channel"]),
        }
        row = await self._run(_CHARGE_AND_BOOK, params, "fetchrow")
        return (row[0], row[1], row[2]) if row is not None else None

    def _counted(self, session_id: int, period_index: int, channel: str) -> str | None:
        """The session's counts with one more place taken, as stored; None if unknown."""
        counts = self._counts.get(session_id)
        if counts is None:
            return None
        in_period = dict(counts.get(str(period_index), {}))
        in_period[channel] = in_period.get(channel, 0) + 1
        return json.dumps({**counts, str(period_index): in_period}, separators=(",", ":"))


def booking_repository(conn: AsyncConnection) -> SchedulingRepository:
    """The scheduling repository for ``conn``'s database, with the fast path on PostgreSQL."""
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "asyncpg":
        return PgSchedulingRepository(conn)
    return SchedulingRepository(conn)
