"""All SQL of the scheduling context (the booking path's statements are in booking_sql)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.expression import Executable

from careline.scheduling.booking_sql import (
    CHARGE_AND_BOOK_PG,
    FORGET_COUNTS,
    HISTORY,
    HOLDING,
    INSERT_BOOKING,
    LOCK_SESSION_AT,
    RELEASING,
    STATE,
    guards,
)
from careline.scheduling.model import (
    Booking,
    BookingSession,
    BookingState,
    BookingStatus,
    Channel,
    WaitlistEntry,
    WaitStatus,
)
from careline.scheduling.tables import booking_sessions, bookings, waitlist_entries

_BY_ID = booking_sessions.c.id == sa.bindparam("id")
# The booking path's statements by dialect and name; ``pg_repository`` sends the same
# names straight through asyncpg.
_STATEMENTS: dict[str, dict[str, Executable]] = {
    dialect: {
        "lock_session_at": LOCK_SESSION_AT[dialect],
        "state": STATE[dialect],
        "history": HISTORY,
        "insert_booking": INSERT_BOOKING,
        "charge_and_book": CHARGE_AND_BOOK_PG,
    }
    for dialect in ("postgresql", "sqlite")
}
# As lock_row: a row lock on PostgreSQL, the database's write lock on SQLite.
_STATEMENTS["postgresql"]["lock_session"] = (
    booking_sessions.select().where(_BY_ID).with_for_update()
)
_STATEMENTS["sqlite"]["lock_session"] = (
    sa.update(booking_sessions)
    .where(_BY_ID)
    .values(id=booking_sessions.c.id)
    .returning(*booking_sessions.c)
)
History = list[tuple[str, date, int]]
# A row by column name: SQLAlchemy's RowMapping or asyncpg's Record.
Row = Mapping[Any, Any]


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is UTC else value.astimezone(UTC)


def _places(text: str) -> tuple[int, ...] | None:
    """Read the stored places per period; anything but a JSON list of ints counts as unset."""
    try:
        places = json.loads(text)
    except ValueError:
        return None
    if not isinstance(places, list) or not all(type(n) is int for n in places):
        return None
    return tuple(places)


def session_from_row(row: Row) -> BookingSession:
    """Map a ``booking_sessions`` row, from either driver, to the model."""
    places = row["period_capacities"]
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
        period_capacities=None if places is None else _places(places),
    )


def state_from_rows(
    rows: Sequence[Row],
    *,
    card_status: str,
    taken: int,
    taken_by_channel: int,
    history_current: bool,
) -> BookingState:
    """Map the rows of a state read (one per booking of the patient) to the model."""
    row = rows[0]
    return BookingState(
        card_status=card_status,
        patient_id=row["patient_id"],
        balance=int(row["balance"]),
        id_number=row["id_number"] if row["found"] is not None else None,
        merged=row["merged_into_id"] is not None,
        earlier_id=row["earlier"],
        taken=taken,
        taken_by_channel=taken_by_channel,
        held=int(row["held"]),
        own_offer=bool(row["own_offer"]),
        history=[
            (r["h_status"], r["h_day"], r["h_department"]) for r in rows if r["h_day"] is not None
        ],
        history_current=history_current,
    )


def _booking(row: Any) -> Booking:
    values = dict(row._mapping)
    values["channel"] = Channel(values["channel"])
    values["status"] = BookingStatus(values["status"])
    return Booking(**values)


def _wait(row: Any) -> WaitlistEntry:
    values = dict(row._mapping)
    values["channel"] = Channel(values["channel"])
    values["status"] = WaitStatus(values["status"])
    return WaitlistEntry(**values)


class SchedulingRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def insert_session(self, values: dict[str, Any]) -> None:
        """Store the session unless a concurrent booking already did."""
        dialect = postgresql if self.conn.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(booking_sessions).values(**values)
        await self.conn.execute(statement.on_conflict_do_nothing())

    async def find_session(self, doctor_id: int, day: date, period: str) -> BookingSession | None:
        query = booking_sessions.select().where(
            booking_sessions.c.doctor_id == doctor_id,
            booking_sessions.c.day == day,
            booking_sessions.c.period == period,
        )
        row = (await self.conn.execute(query)).first()
        return session_from_row(row._mapping) if row else None

    async def get_session(self, session_id: int) -> BookingSession | None:
        query = booking_sessions.select().where(booking_sessions.c.id == session_id)
        row = (await self.conn.execute(query)).first()
        return session_from_row(row._mapping) if row else None

    async def sessions_between(
        self, doctor_ids: Sequence[int], first_day: date, last_day: date
    ) -> list[BookingSession]:
        query = booking_sessions.select().where(
            booking_sessions.c.doctor_id.in_(doctor_ids),
            booking_sessions.c.day.between(first_day, last_day),
        )
        return [session_from_row(row._mapping) for row in await self.conn.execute(query)]

    @property
    def _dialect(self) -> str:
        return "postgresql" if self.conn.dialect.name == "postgresql" else "sqlite"

    async def _rows(self, name: str, params: Mapping[str, Any]) -> list[Row]:
        """Run the booking path's statement ``name``; return its rows by column name."""
        result = await self.conn.execute(_STATEMENTS[self._dialect][name], params)
        return [row._mapping for row in result]

    async def _row(self, name: str, params: Mapping[str, Any]) -> Row | None:
        """Run the booking path's statement ``name``; return its first row, if any."""
        row = (await self.conn.execute(_STATEMENTS[self._dialect][name], params)).first()
        return row._mapping if row is not None else None

    def _counted(self, session_id: int, period_index: int, channel: str) -> str | None:  # noqa: ARG002
        """The session's counts with one more place taken, as stored; None: count again."""
        return None

    async def lock_session_at(
        self, doctor_id: int, day: date, period: str
    ) -> BookingSession | None:
        """Lock and return the stored session of a doctor's clinic, if it is stored."""
        params = {"at_doctor": doctor_id, "at_day": day, "at_period": str(period)}
        row = await self._row("lock_session_at", params)
        return session_from_row(row) if row is not None else None

    async def lock_session(self, session_id: int) -> BookingSession:
        row = await self._row("lock_session", {"id": session_id})
        assert row is not None, "sessions are never deleted"
        return session_from_row(row)

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
        rows = await self._rows("state", params)
        if not rows:
            return None
        return state_from_rows(
            rows,
            card_status=rows[0]["status"],
            taken=int(rows[0]["taken"]),
            taken_by_channel=int(rows[0]["mine"]),
            # PostgreSQL reads the history in the snapshot taken before the card lock
            # was granted; SQLite already holds the database's write lock.
            history_current=self._dialect == "sqlite",
        )

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
        """Lock the stored session, then the card, and read the state; None: not stored."""
        session = await self.lock_session_at(doctor_id, day, period)
        if session is None:
            return None
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
        return session, state

    async def patient_history(self, patient_id: int, since: date) -> History:
        """Return (status, day, department) of a patient's bookings from ``since`` on."""
        rows = await self._rows("history", {"patient": patient_id, "since": since})
        return [(row["status"], row["day"], row["department_id"]) for row in rows]

    async def insert_booking(
        self, values: dict[str, Any], *, entry_id: int | None
    ) -> tuple[int, int, int | None]:
        """Insert a booking with the session's next number; return id, number and charge."""
        row = await self._row("insert_booking", {**values, "entry": entry_id})
        assert row is not None, "an insert returns its row"
        return row["id"], row["queue_number"], row["charge_entry_id"]

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
        """PostgreSQL: charge and book at once; None if too poor, or a limit or ``state`` changed.

        The limits (one open booking per department and day, ``max_active`` open ones) are
        checked again here, where every booking of the card is visible, and so are the
        parts of ``state`` an earlier snapshot may have missed.
        """
        params = {
            **values,
            **guards(state),
            "entry_key": entry_key,
            "reason": reason,
            "today": today,
            "max_active": max_active,
            "counts": self._counted(values["session"], values["period_index"], values["channel"]),
        }
        row = await self._row("charge_and_book", params)
        if row is None:
            return None
        return row["id"], row["queue_number"], row["charge_entry_id"]

    async def stop_session(self, session_id: int, reason: str) -> None:
        await self.conn.execute(
            sa.update(booking_sessions)
            .where(booking_sessions.c.id == session_id)
            .values(stopped=True, stop_reason=reason)
        )

    async def set_period_capacities(self, session_id: int, places: Sequence[int]) -> None:
        """Store the places of every period; the session's capacity becomes their sum."""
        await self.conn.execute(
            sa.update(booking_sessions)
            .where(booking_sessions.c.id == session_id)
            .values(
                period_capacities=json.dumps(list(places), separators=(",", ":")),
                capacity=sum(places),
            )
        )

    async def taken(self, session_ids: Sequence[int]) -> dict[tuple[int, int], dict[Channel, int]]:
        """Return places held per (session, period) and channel."""
        query = (
            sa.select(
                bookings.c.session_id,
                bookings.c.period_index,
                bookings.c.channel,
                sa.func.count(),
            )
            .where(bookings.c.session_id.in_(session_ids), bookings.c.status.in_(HOLDING))
            .group_by(bookings.c.session_id, bookings.c.period_index, bookings.c.channel)
        )
        result: dict[tuple[int, int], dict[Channel, int]] = {}
        for session_id, index, channel, count in await self.conn.execute(query):
            result.setdefault((session_id, index), {})[Channel(channel)] = count
        return result

    async def held_offers(
        self, session_ids: Sequence[int], now: datetime
    ) -> dict[tuple[int, int], int]:
        """Return places held for waiting patients per (session, period)."""
        query = (
            sa.select(
                waitlist_entries.c.session_id, waitlist_entries.c.period_index, sa.func.count()
            )
            .where(
                waitlist_entries.c.session_id.in_(session_ids),
                waitlist_entries.c.status == WaitStatus.OFFERED,
                waitlist_entries.c.offer_expires_at > now,
            )
            .group_by(waitlist_entries.c.session_id, waitlist_entries.c.period_index)
        )
        return {(s, i): n for s, i, n in await self.conn.execute(query)}

    async def get_booking(self, booking_id: int) -> Booking | None:
        row = (
            await self.conn.execute(bookings.select().where(bookings.c.id == booking_id))
        ).first()
        return _booking(row) if row else None

    async def booking_by_key(self, key: str) -> Booking | None:
        query = bookings.select().where(bookings.c.idempotency_key == key)
        row = (await self.conn.execute(query)).first()
        return _booking(row) if row else None

    async def update_booking(self, booking_id: int, **values: Any) -> None:
        if values.get("status") in RELEASING:
            await self.conn.execute(FORGET_COUNTS, {"booking": booking_id})
        await self.conn.execute(
            sa.update(bookings).where(bookings.c.id == booking_id).values(**values)
        )

    async def bookings_of_patient(
        self, patient_id: int, *, since: date | None = None, statuses: Sequence[str] = ()
    ) -> list[Booking]:
        query = bookings.select().where(bookings.c.patient_id == patient_id)
        if since is not None:
            query = query.where(bookings.c.day >= since)
        if statuses:
            query = query.where(bookings.c.status.in_(statuses))
        rows = await self.conn.execute(query.order_by(bookings.c.day, bookings.c.period_starts_at))
        return [_booking(row) for row in rows]

    async def bookings_of_session(self, session_id: int, status: str) -> list[Booking]:
        query = bookings.select().where(
            bookings.c.session_id == session_id, bookings.c.status == status
        )
        return [_booking(row) for row in await self.conn.execute(query.order_by(bookings.c.id))]

    async def add_waiter(self, values: dict[str, Any]) -> WaitlistEntry:
        result = await self.conn.execute(sa.insert(waitlist_entries).values(**values))
        assert result.inserted_primary_key is not None
        found = await self.get_waiter(int(result.inserted_primary_key[0]))
        assert found is not None
        return found

    async def get_waiter(self, entry_id: int) -> WaitlistEntry | None:
        query = waitlist_entries.select().where(waitlist_entries.c.id == entry_id)
        row = (await self.conn.execute(query)).first()
        return _wait(row) if row else None

    async def first_waiter(self, session_id: int) -> WaitlistEntry | None:
        query = (
            waitlist_entries.select()
            .where(
                waitlist_entries.c.session_id == session_id,
                waitlist_entries.c.status == WaitStatus.WAITING,
            )
            .order_by(waitlist_entries.c.id)
            .limit(1)
        )
        row = (await self.conn.execute(query)).first()
        return _wait(row) if row else None

    async def expired_offers(self, now: datetime) -> list[WaitlistEntry]:
        query = waitlist_entries.select().where(
            waitlist_entries.c.status == WaitStatus.OFFERED,
            waitlist_entries.c.offer_expires_at <= now,
        )
        return [
            _wait(row) for row in await self.conn.execute(query.order_by(waitlist_entries.c.id))
        ]

    async def update_waiter(self, entry_id: int, **values: Any) -> None:
        await self.conn.execute(
            sa.update(waitlist_entries).where(waitlist_entries.c.id == entry_id).values(**values)
        )

    async def offers_to_patient(self, patient_id: int, now: datetime) -> list[WaitlistEntry]:
        query = waitlist_entries.select().where(
            waitlist_entries.c.patient_id == patient_id,
            waitlist_entries.c.status == WaitStatus.OFFERED,
            waitlist_entries.c.offer_expires_at > now,
        )
        return [_wait(row) for row in await self.conn.execute(query)]

    async def waiters_of_session(self, session_id: int) -> list[WaitlistEntry]:
        query = waitlist_entries.select().where(
            waitlist_entries.c.session_id == session_id,
            waitlist_entries.c.status.in_((WaitStatus.WAITING, WaitStatus.OFFERED)),
        )
        return [_wait(row) for row in await self.conn.execute(query)]
