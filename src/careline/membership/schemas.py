"""Pydantic shapes of the membership REST API (amounts in integer fen)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from careline.membership.model import CardStatus, EntryKind, LedgerEntry, MemberCard, Statement


class CardCreate(BaseModel):
    patient_id: int
    pin: str = Field(pattern=r"^\d{6}$")


class CardRead(BaseModel):
    id: int
    card_number: str
    patient_id: int
    status: CardStatus
    locked_until: datetime | None
    balance: int


class TopUpCreate(BaseModel):
    amount: int = Field(gt=0, description="fen")
    idempotency_key: str = Field(min_length=1, max_length=100)
    reason: str = Field(default="Top-up", min_length=1, max_length=200)


class AdjustmentCreate(BaseModel):
    amount: int = Field(description="signed fen; negative takes money off")
    idempotency_key: str = Field(min_length=1, max_length=100)
    reason: str = Field(min_length=1, max_length=200)


class PinReset(BaseModel):
    pin: str = Field(pattern=r"^\d{6}$")


class StatusUpdate(BaseModel):
    status: CardStatus


class PinCheck(BaseModel):
    pin: str


class EntryRead(BaseModel):
    id: int
    kind: EntryKind
    amount: int
    reason: str
    staff_id: int | None
    created_at: datetime


class StatementRead(BaseModel):
    card_number: str
    first_day: date
    last_day: date
    opening_balance: int
    closing_balance: int
    entries: list[EntryRead]


def card_read(card: MemberCard, balance: int) -> CardRead:
    return CardRead(
        id=card.id,
        card_number=card.card_number,
        patient_id=card.patient_id,
        status=card.status,
        locked_until=card.locked_until,
        balance=balance,
    )


def entry_read(entry: LedgerEntry) -> EntryRead:
    return EntryRead(
        id=entry.id,
        kind=entry.kind,
        amount=entry.amount,
        reason=entry.reason,
        staff_id=entry.staff_id,
        created_at=entry.created_at,
    )


def statement_read(statement: Statement) -> StatementRead:
    return StatementRead(
        card_number=statement.card_number,
        first_day=statement.first_day,
        last_day=statement.last_day,
        opening_balance=statement.opening_balance,
        closing_balance=statement.closing_balance,
        entries=[entry_read(e) for e in statement.entries],
    )
