"""Every SQL statement of the integrations context.

Booking changes are read, never written, from the scheduling tables: a booking's change
time is its ``created_at`` (booked) or ``closed_at`` (cancelled), which the cursor walks.
Patients are likewise only read here (by update time, for FHIR ``_lastUpdated``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from careline.integrations.model import (
    MAX_ERROR,
    MAX_PAYLOAD,
    Direction,
    ExchangeEntry,
    HisIdentifier,
    IdentifierConflict,
    IdentifierSystem,
    Outcome,
    Protocol,
    Push,
    PushEvent,
    PushStatus,
    PushTarget,
    clip,
)
from careline.integrations.tables import (
    his_appointment_links as _L,
)
from careline.integrations.tables import (
    his_client_tokens as _T,
)
from careline.integrations.tables import (
    his_cursors as _C,
)
from careline.integrations.tables import (
    his_exchange_log as _X,
)
from careline.integrations.tables import (
    his_identifier_conflicts as _K,
)
from careline.integrations.tables import (
    his_identifiers as _I,
)
from careline.integrations.tables import (
    his_processed_messages as _P,
)
from careline.integrations.tables import (
    his_pushes as _Q,
)
from careline.patients.tables import patients as _patients
from careline.scheduling.tables import bookings as _bookings


def _push(row: Any) -> Push:
    return Push(
        id=row.id,
        booking_id=row.booking_id,
        event=PushEvent(row.event),
        target=PushTarget(row.target),
        status=PushStatus(row.status),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
    )


class IntegrationRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    # Identifiers ---------------------------------------------------------------------------

    async def patient_by_identifier(self, system: IdentifierSystem, value: str) -> int | None:
        """Return the patient holding this HIS identifier."""
        query = sa.select(_I.c.patient_id).where(_I.c.system == system.value, _I.c.value == value)
        found = await self.conn.scalar(query)
        return int(found) if found is not None else None

    async def identifiers_of(self, patient_id: int) -> list[HisIdentifier]:
        rows = await self.conn.execute(
            sa.select(_I.c.system, _I.c.value)
            .where(_I.c.patient_id == patient_id)
            .order_by(_I.c.system, _I.c.value)
        )
        return [HisIdentifier(IdentifierSystem(r.system), r.value) for r in rows]

    async def add_identifier(
        self, patient_id: int, identifier: HisIdentifier, *, now: datetime
    ) -> None:
        await self.conn.execute(
            _I.insert().values(
                patient_id=patient_id,
                system=identifier.system.value,
                value=identifier.value,
                created_at=now,
            )
        )

    async def move_identifiers(self, from_id: int, to_id: int) -> list[HisIdentifier]:
        """Give a merged patient's identifiers to the survivor; return those that clashed."""
        clashes = []
        for identifier in await self.identifiers_of(from_id):
            holder = await self.patient_by_identifier(identifier.system, identifier.value)
            if holder == from_id:
                await self.conn.execute(
                    _I.update()
                    .where(_I.c.system == identifier.system.value, _I.c.value == identifier.value)
                    .values(patient_id=to_id)
                )
            else:
                clashes.append(identifier)
        return clashes

    async def add_conflict(
        self,
        identifier: HisIdentifier,
        *,
        held_by: int | None,
        claimed_for: int | None,
        source: str,
        now: datetime,
    ) -> int:
        result = await self.conn.execute(
            _K.insert().values(
                system=identifier.system.value,
                value=identifier.value,
                held_by_patient_id=held_by,
                claimed_for_patient_id=claimed_for,
                source=source[:80],
                created_at=now,
            )
        )
        assert result.inserted_primary_key is not None
        return int(result.inserted_primary_key[0])

    async def open_conflicts(self, *, limit: int) -> list[IdentifierConflict]:
        rows = await self.conn.execute(
            sa.select(_K).where(_K.c.resolved_at.is_(None)).order_by(_K.c.id.desc()).limit(limit)
        )
        return [
            IdentifierConflict(
                id=r.id,
                system=IdentifierSystem(r.system),
                value=r.value,
                held_by_patient_id=r.held_by_patient_id,
                claimed_for_patient_id=r.claimed_for_patient_id,
                source=r.source,
                created_at=r.created_at,
            )
            for r in rows
        ]

    # Exchange log and processed messages ---------------------------------------------------

    async def log(self, entry: ExchangeEntry, *, now: datetime) -> int:
        result = await self.conn.execute(
            _X.insert().values(
                at=now,
                direction=entry.direction.value,
                protocol=entry.protocol.value,
                kind=entry.kind[:32],
                control_id=entry.control_id[:64],
                outcome=entry.outcome.value,
                error=clip(entry.error, MAX_ERROR),
                payload=entry.payload[:MAX_PAYLOAD],
            )
        )
        assert result.inserted_primary_key is not None
        return int(result.inserted_primary_key[0])

    async def log_entries(
        self, *, limit: int, offset: int = 0, control_id: str | None = None
    ) -> list[ExchangeEntry]:
        query = sa.select(_X).order_by(_X.c.id.desc()).limit(limit).offset(offset)
        if control_id is not None:
            query = query.where(_X.c.control_id == control_id)
        rows = await self.conn.execute(query)
        return [
            ExchangeEntry(
                id=r.id,
                at=r.at,
                direction=Direction(r.direction),
                protocol=Protocol(r.protocol),
                kind=r.kind,
                control_id=r.control_id,
                outcome=Outcome(r.outcome),
                error=r.error,
                payload=r.payload,
            )
            for r in rows
        ]

    async def processed(self, sender: str, control_id: str) -> tuple[str, str] | None:
        """Return (ack code, ack text) given to this message before, if it was seen."""
        row = (
            await self.conn.execute(
                sa.select(_P.c.ack_code, _P.c.ack).where(
                    _P.c.sender == sender[:80], _P.c.control_id == control_id[:64]
                )
            )
        ).first()
        return (row.ack_code, row.ack) if row is not None else None

    async def add_processed(
        self, sender: str, control_id: str, *, ack_code: str, ack: str, now: datetime
    ) -> None:
        await self.conn.execute(
            _P.insert().values(
                sender=sender[:80],
                control_id=control_id[:64],
                ack_code=ack_code,
                ack=ack,
                received_at=now,
            )
        )

    # Pushes --------------------------------------------------------------------------------

    async def enqueue_push(
        self, booking_id: int, event: PushEvent, target: PushTarget, *, now: datetime
    ) -> bool:
        """Queue a push once per (booking, event, target); return whether it is new."""
        exists = await self.conn.scalar(
            sa.select(_Q.c.id).where(
                _Q.c.booking_id == booking_id,
                _Q.c.event == event.value,
                _Q.c.target == target.value,
            )
        )
        if exists is not None:
            return False
        try:
            async with self.conn.begin_nested():
                await self.conn.execute(
                    _Q.insert().values(
                        booking_id=booking_id,
                        event=event.value,
                        target=target.value,
                        status=PushStatus.PENDING.value,
                        attempts=0,
                        next_attempt_at=now,
                        last_error="",
                        created_at=now,
                    )
                )
        except IntegrityError:
            return False
        return True

    async def claim_pushes(
        self, *, target: PushTarget, now: datetime, lease_until: datetime, limit: int
    ) -> list[Push]:
        """Take due pushes, hiding them until ``lease_until`` (a crashed sender retries)."""
        query = (
            sa.select(_Q.c.id)
            .where(
                _Q.c.target == target.value,
                _Q.c.status == PushStatus.PENDING.value,
                _Q.c.next_attempt_at <= now,
            )
            .order_by(_Q.c.next_attempt_at, _Q.c.id)
            .limit(limit)
        )
        if self.conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        ids = list((await self.conn.execute(query)).scalars())
        if not ids:
            return []
        await self.conn.execute(
            _Q.update().where(_Q.c.id.in_(ids)).values(next_attempt_at=lease_until)
        )
        rows = await self.conn.execute(sa.select(_Q).where(_Q.c.id.in_(ids)).order_by(_Q.c.id))
        return [_push(r) for r in rows]

    async def update_push(self, push_id: int, **values: Any) -> None:
        await self.conn.execute(_Q.update().where(_Q.c.id == push_id).values(**values))

    async def pushes(self, *, status: PushStatus | None = None, limit: int = 100) -> list[Push]:
        query = sa.select(_Q).order_by(_Q.c.id).limit(limit)
        if status is not None:
            query = query.where(_Q.c.status == status.value)
        return [_push(r) for r in await self.conn.execute(query)]

    # Booking changes (read-only on the scheduling tables) ------------------------------------

    async def booking_changes(
        self, since: datetime, *, limit: int
    ) -> list[tuple[int, PushEvent, datetime]]:
        """Return (booking id, event, when) for bookings made or cancelled at or after ``since``.

        Bookings that came from the HIS (``his:`` keys) are left out: they are not echoed.
        """
        own = ~_bookings.c.idempotency_key.like("his:%")

        def unqueued(event: PushEvent) -> sa.ColumnElement[bool]:
            # Already queued changes are skipped so a page cut at ``limit`` always advances.
            return ~sa.exists().where(_Q.c.booking_id == _bookings.c.id, _Q.c.event == event.value)

        made = await self.conn.execute(
            sa.select(_bookings.c.id, _bookings.c.created_at)
            .where(_bookings.c.created_at >= since, own, unqueued(PushEvent.BOOKED))
            .order_by(_bookings.c.created_at, _bookings.c.id)
            .limit(limit)
        )
        changes = [(r.id, PushEvent.BOOKED, r.created_at) for r in made]
        cancelled = await self.conn.execute(
            sa.select(_bookings.c.id, _bookings.c.closed_at)
            .where(
                _bookings.c.closed_at >= since,
                _bookings.c.status.in_(["cancelled", "stopped"]),
                own,
                unqueued(PushEvent.CANCELLED),
            )
            .order_by(_bookings.c.closed_at, _bookings.c.id)
            .limit(limit)
        )
        closed = [(r.id, PushEvent.CANCELLED, r.closed_at) for r in cancelled]
        # A list cut at ``limit`` is complete only up to its last time: stop there, so the
        # cursor never passes a change that was not read.
        horizons = [found[-1][2] for found in (changes, closed) if len(found) >= limit]
        merged = sorted(changes + closed, key=lambda c: (c[2], c[0]))
        if horizons:
            merged = [c for c in merged if c[2] <= min(horizons)]
        return merged

    async def booking_ids(
        self,
        *,
        patient_id: int | None = None,
        since: datetime | None = None,
        limit: int,
        offset: int = 0,
    ) -> list[int]:
        """Return booking ids, newest first, for FHIR Appointment searches."""
        query = sa.select(_bookings.c.id).order_by(_bookings.c.id.desc()).limit(limit)
        if patient_id is not None:
            query = query.where(_bookings.c.patient_id == patient_id)
        if since is not None:
            changed = sa.func.coalesce(_bookings.c.closed_at, _bookings.c.created_at)
            query = query.where(changed >= since)
        return list((await self.conn.execute(query.offset(offset))).scalars())

    async def patient_ids(
        self,
        *,
        since: datetime | None = None,
        name_prefix: str | None = None,
        limit: int,
        offset: int = 0,
    ) -> list[int]:
        """Return active patients' ids by update time (FHIR ``_lastUpdated``) or name prefix."""
        query = (
            sa.select(_patients.c.id)
            .where(_patients.c.merged_into_id.is_(None))
            .order_by(_patients.c.updated_at, _patients.c.id)
            .limit(limit)
            .offset(offset)
        )
        if since is not None:
            query = query.where(_patients.c.updated_at >= since)
        if name_prefix:
            query = query.where(_patients.c.name.startswith(name_prefix, autoescape=True))
        return list((await self.conn.execute(query)).scalars())

    # Appointment links, cursors, tokens ------------------------------------------------------

    async def link_booking(self, booking_id: int, his_id: str) -> None:
        await self.conn.execute(_L.insert().values(booking_id=booking_id, his_id=his_id[:64]))

    async def relink_booking(self, his_id: str, booking_id: int) -> None:
        await self.conn.execute(_L.delete().where(_L.c.his_id == his_id))
        await self.link_booking(booking_id, his_id)

    async def booking_by_his_id(self, his_id: str) -> int | None:
        found = await self.conn.scalar(sa.select(_L.c.booking_id).where(_L.c.his_id == his_id))
        return int(found) if found is not None else None

    async def his_id_of(self, booking_id: int) -> str | None:
        found = await self.conn.scalar(sa.select(_L.c.his_id).where(_L.c.booking_id == booking_id))
        return str(found) if found is not None else None

    async def cursor(self, name: str) -> datetime | None:
        found = await self.conn.scalar(sa.select(_C.c.at).where(_C.c.name == name))
        return found if isinstance(found, datetime) else None

    async def set_cursor(self, name: str, at: datetime) -> None:
        done = await self.conn.execute(_C.update().where(_C.c.name == name).values(at=at))
        if done.rowcount == 0:
            await self.conn.execute(_C.insert().values(name=name, at=at))

    async def add_token(self, name: str, digest: str, *, now: datetime) -> int:
        result = await self.conn.execute(
            _T.insert().values(name=name[:80], token_sha256=digest, created_at=now)
        )
        assert result.inserted_primary_key is not None
        return int(result.inserted_primary_key[0])

    async def client_by_digest(self, digest: str) -> tuple[int, str] | None:
        row = (
            await self.conn.execute(
                sa.select(_T.c.id, _T.c.name).where(
                    _T.c.token_sha256 == digest, _T.c.revoked_at.is_(None)
                )
            )
        ).first()
        return (row.id, row.name) if row is not None else None

    async def revoke_token(self, token_id: int, *, now: datetime) -> bool:
        done = await self.conn.execute(
            _T.update().where(_T.c.id == token_id, _T.c.revoked_at.is_(None)).values(revoked_at=now)
        )
        return bool(done.rowcount)
