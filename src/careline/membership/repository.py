"""All SQL of the membership context."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from careline.membership.model import CardStatus, EntryKind, LedgerEntry, MemberCard
from careline.membership.tables import (
    ledger_entries,
    member_cards,
    portal_codes,
    portal_sessions,
)


def _card(row: Any) -> MemberCard:
    return MemberCard(
        id=row.id,
        card_number=row.card_number,
        patient_id=row.patient_id,
        status=CardStatus(row.status),
        pin_hash=row.pin_hash,
        failed_pin_attempts=row.failed_pin_attempts,
        locked_until=row.locked_until,
        created_at=row.created_at,
        balance=row.balance,
    )


# Prepared once: the cached balance moves with every entry, guarded against overdraw.
_MOVE_BALANCE = (
    sa.update(member_cards)
    .where(member_cards.c.id == sa.bindparam("card"))
    .values(balance=member_cards.c.balance + sa.bindparam("amount", type_=sa.BigInteger))
)
_DEBIT_BALANCE = _MOVE_BALANCE.where(
    member_cards.c.balance + sa.bindparam("amount", type_=sa.BigInteger) >= 0
)
_INSERT_ENTRY = sa.insert(ledger_entries).returning(ledger_entries.c.id)


def _entry(row: Any) -> LedgerEntry:
    return LedgerEntry(
        id=row.id,
        card_id=row.card_id,
        kind=EntryKind(row.kind),
        amount=row.amount,
        idempotency_key=row.idempotency_key,
        reason=row.reason,
        staff_id=row.staff_id,
        created_at=row.created_at,
    )


async def lock_row(
    conn: AsyncConnection, table: sa.Table, row_id: int, *where: sa.ColumnElement[bool]
) -> Any | None:
    """Take the write lock on one row until the transaction ends; return the row, or None.

    PostgreSQL locks the row itself (``SELECT ... FOR UPDATE``). SQLite has one writer at
    a time: a no-op ``UPDATE`` as the transaction's first write takes the database's write
    lock (waiting on the busy timeout) before anything is read, so every read after it
    sees the latest committed data and a check followed by an insert is atomic, as under
    ``BEGIN IMMEDIATE``. ``where``, when given, finds the row instead of ``row_id``.
    """
    match = list(where) or [table.c.id == row_id]
    if conn.dialect.name == "postgresql":
        select = sa.select(table).where(*match).with_for_update()
        return (await conn.execute(select)).first()
    update = sa.update(table).where(*match).values(id=table.c.id)
    return (await conn.execute(update.returning(*table.c))).first()


class MembershipRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def add_card(
        self, *, card_number: str, patient_id: int, pin_hash: str, now: datetime
    ) -> int:
        result = await self.conn.execute(
            sa.insert(member_cards).values(
                card_number=card_number,
                patient_id=patient_id,
                status=CardStatus.ACTIVE,
                pin_hash=pin_hash,
                failed_pin_attempts=0,
                created_at=now,
                updated_at=now,
                balance=0,
            )
        )
        assert result.inserted_primary_key is not None
        return int(result.inserted_primary_key[0])

    async def get(self, card_id: int) -> MemberCard | None:
        row = (
            await self.conn.execute(member_cards.select().where(member_cards.c.id == card_id))
        ).first()
        return _card(row) if row else None

    async def by_number(self, card_number: str) -> MemberCard | None:
        query = member_cards.select().where(member_cards.c.card_number == card_number)
        row = (await self.conn.execute(query)).first()
        return _card(row) if row else None

    async def of_patient(self, patient_id: int) -> list[MemberCard]:
        query = member_cards.select().where(member_cards.c.patient_id == patient_id)
        rows = await self.conn.execute(query.order_by(member_cards.c.id))
        return [_card(row) for row in rows]

    async def patients_with_card(self, card_number: str) -> list[int]:
        query = sa.select(member_cards.c.patient_id).where(
            member_cards.c.card_number == card_number
        )
        return [row[0] for row in await self.conn.execute(query)]

    async def lock(self, card_id: int) -> MemberCard | None:
        row = await lock_row(self.conn, member_cards, card_id)
        return _card(row) if row is not None else None

    async def update_card(self, card_id: int, now: datetime, **values: Any) -> None:
        await self.conn.execute(
            sa.update(member_cards)
            .where(member_cards.c.id == card_id)
            .values(updated_at=now, **values)
        )

    async def balance(self, card_id: int, *, before: datetime | None = None) -> int:
        query = sa.select(sa.func.coalesce(sa.func.sum(ledger_entries.c.amount), 0)).where(
            ledger_entries.c.card_id == card_id
        )
        if before is not None:
            query = query.where(ledger_entries.c.created_at < before)
        return int((await self.conn.execute(query)).scalar_one())

    async def entry_by_key(self, key: str) -> LedgerEntry | None:
        query = ledger_entries.select().where(ledger_entries.c.idempotency_key == key)
        row = (await self.conn.execute(query)).first()
        return _entry(row) if row else None

    async def add_entry(
        self,
        *,
        card_id: int,
        kind: EntryKind,
        amount: int,
        key: str,
        reason: str,
        staff_id: int | None,
        now: datetime,
    ) -> LedgerEntry | None:
        """Append an entry and move the cached balance with it; None if it would overdraw.

        The card should be locked. On None, or on an IntegrityError from a reused key, the
        transaction holds a half-made change and must be rolled back, never committed.
        """
        moved = await self.conn.execute(
            _DEBIT_BALANCE if amount < 0 else _MOVE_BALANCE, {"card": card_id, "amount": amount}
        )
        if moved.rowcount != 1:
            return None
        values = {
            "card_id": card_id,
            "kind": kind,
            "amount": amount,
            "idempotency_key": key,
            "reason": reason,
            "staff_id": staff_id,
            "created_at": now,
        }
        entry_id = (await self.conn.execute(_INSERT_ENTRY, values)).scalar_one()
        return LedgerEntry(int(entry_id), card_id, kind, amount, key, reason, staff_id, now)

    async def entries_between(
        self, card_id: int, start: datetime, end: datetime
    ) -> list[LedgerEntry]:
        query = (
            ledger_entries.select()
            .where(
                ledger_entries.c.card_id == card_id,
                ledger_entries.c.created_at >= start,
                ledger_entries.c.created_at < end,
            )
            .order_by(ledger_entries.c.created_at, ledger_entries.c.id)
        )
        return [_entry(row) for row in await self.conn.execute(query)]


class PortalRepository:
    """Sign-in codes and portal sessions."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def codes_since(self, phone: str, since: datetime) -> int:
        query = sa.select(sa.func.count()).where(
            portal_codes.c.phone == phone, portal_codes.c.created_at >= since
        )
        return int((await self.conn.execute(query)).scalar_one())

    async def add_code(self, phone: str, code_hash: str, now: datetime, expires: datetime) -> None:
        await self.conn.execute(
            sa.insert(portal_codes).values(
                phone=phone,
                code_hash=code_hash,
                attempts=0,
                used=False,
                created_at=now,
                expires_at=expires,
            )
        )

    async def latest_code(self, phone: str, now: datetime) -> tuple[int, str, int] | None:
        query = (
            sa.select(portal_codes.c.id, portal_codes.c.code_hash, portal_codes.c.attempts)
            .where(
                portal_codes.c.phone == phone,
                portal_codes.c.used.is_(False),
                portal_codes.c.expires_at > now,
            )
            .order_by(portal_codes.c.id.desc())
            .limit(1)
        )
        row = (await self.conn.execute(query)).first()
        return (row[0], row[1], row[2]) if row else None

    async def update_code(self, code_id: int, **values: Any) -> None:
        await self.conn.execute(
            sa.update(portal_codes).where(portal_codes.c.id == code_id).values(**values)
        )

    async def add_session(
        self,
        token_hash: str,
        patient_id: int,
        card_id: int | None,
        now: datetime,
        expires: datetime,
    ) -> None:
        await self.conn.execute(
            sa.insert(portal_sessions).values(
                token_hash=token_hash,
                patient_id=patient_id,
                card_id=card_id,
                created_at=now,
                expires_at=expires,
            )
        )

    async def session(self, token_hash: str, now: datetime) -> tuple[int, int | None] | None:
        query = sa.select(portal_sessions.c.patient_id, portal_sessions.c.card_id).where(
            portal_sessions.c.token_hash == token_hash, portal_sessions.c.expires_at > now
        )
        row = (await self.conn.execute(query)).first()
        return (row[0], row[1]) if row else None

    async def delete_session(self, token_hash: str) -> None:
        await self.conn.execute(
            sa.delete(portal_sessions).where(portal_sessions.c.token_hash == token_hash)
        )
