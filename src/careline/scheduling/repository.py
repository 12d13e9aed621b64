"""All SQL of the scheduling context."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from careline.membership.repository import lock_row
from careline.patients.tables import patients
from careline.scheduling.model import (
    Booking,
    BookingSession,
    BookingStatus,
    Channel,
    WaitlistEntry,
    WaitStatus,
)
from careline.scheduling.tables import booking_sessions, bookings, waitlist_entries

# Statuses that keep their place: a no-show still used up the doctor's time.
HOLDING = (BookingStatus.BOOKED, BookingStatus.ATTENDED, BookingStatus.NO_SHOW)
_HELD = "held"  # the label of waiting-list holds next to the channels in period_load


def _session(row: Any) -> BookingSession:
    return BookingSession(
        id=row.id,
        doctor_id=row.doctor_id,
        department_id=row.department_id,
        day=row.day,
        period=row.period,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        capacity=row.capacity,
        registration_fee=row.registration_fee,
        stopped=row.stopped,
        stop_reason=row.stop_reason,
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
        return _session(row) if row else None

    async def get_session(self, session_id: int) -> BookingSession | None:
        query = booking_sessions.select().where(booking_sessions.c.id == session_id)
        row = (await self.conn.execute(query)).first()
        return _session(row) if row else None

    async def sessions_between(
        self, doctor_ids: Sequence[int], first_day: date, last_day: date
    ) -> list[BookingSession]:
        query = booking_sessions.select().where(
            booking_sessions.c.doctor_id.in_(doctor_ids),
            booking_sessions.c.day.between(first_day, last_day),
        )
        return [_session(row) for row in await self.conn.execute(query)]

    async def lock_session_at(
        self, doctor_id: int, day: date, period: str
    ) -> BookingSession | None:
        """Lock and return the stored session of a doctor's clinic, if it is stored."""
        row = await lock_row(
            self.conn,
            booking_sessions,
            0,
            booking_sessions.c.doctor_id == doctor_id,
            booking_sessions.c.day == day,
            booking_sessions.c.period == period,
        )
        return _session(row) if row is not None else None

    async def lock_session(self, session_id: int) -> BookingSession:
        row = await lock_row(self.conn, booking_sessions, session_id)
        assert row is not None, "sessions are never deleted"
        return _session(row)

    async def patient_identity(self, patient_id: int) -> tuple[str | None, bool] | None:
        """Return the patient's ID number and whether the record was merged away."""
        query = sa.select(patients.c.id_number, patients.c.merged_into_id).where(
            patients.c.id == patient_id
        )
        row = (await self.conn.execute(query)).first()
        return (row[0], row[1] is not None) if row else None

    async def stop_session(self, session_id: int, reason: str) -> None:
        await self.conn.execute(
            sa.update(booking_sessions)
            .where(booking_sessions.c.id == session_id)
            .values(stopped=True, stop_reason=reason)
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

    async def period_load(
        self, session_id: int, period_index: int, now: datetime
    ) -> tuple[dict[Channel, int], int]:
        """Return one period's places taken per channel and held for waiters, in one trip."""
        booked = (
            sa.select(bookings.c.channel, sa.func.count().label("n"))
            .where(
                bookings.c.session_id == session_id,
                bookings.c.period_index == period_index,
                bookings.c.status.in_(HOLDING),
            )
            .group_by(bookings.c.channel)
        )
        held = sa.select(sa.literal(_HELD).label("channel"), sa.func.count().label("n")).where(
            waitlist_entries.c.session_id == session_id,
            waitlist_entries.c.period_index == period_index,
            waitlist_entries.c.status == WaitStatus.OFFERED,
            waitlist_entries.c.offer_expires_at > now,
        )
        taken: dict[Channel, int] = {}
        held_places = 0
        for channel, count in await self.conn.execute(sa.union_all(booked, held)):
            if channel == _HELD:
                held_places = count
            else:
                taken[Channel(channel)] = count
        return taken, held_places

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

    async def add_booking(self, values: dict[str, Any]) -> Booking:
        """Insert a booking with the session's next queue number (the session is locked)."""
        next_number = (
            sa.select(sa.func.coalesce(sa.func.max(bookings.c.queue_number), 0) + 1)
            .where(bookings.c.session_id == values["session_id"])
            .scalar_subquery()
        )
        statement = (
            sa.insert(bookings).values(queue_number=next_number, **values).returning(*bookings.c)
        )
        return _booking((await self.conn.execute(statement)).one())

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
