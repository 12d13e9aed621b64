"""Prepaid member cards, PINs and the ledger (pure).

Card numbers are 16 digits: the prefix ``88``, 13 digits, and a Luhn (ISO/IEC 7812-1)
check digit, so a single mistyped digit or a swap of two neighbours is caught before any
database lookup. The balance is never stored: it is the sum of the card's ledger entries,
which are only ever appended (a mistake is corrected by an adjustment, not an edit).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from careline.kit.errors import CarelineError

CARD_PREFIX = "88"
CARD_LENGTH = 16
PIN_LENGTH = 6
MAX_PIN_FAILURES = 5
PIN_LOCK = timedelta(minutes=30)
MAX_REASON = 200
MAX_KEY = 100
MAX_AMOUNT = 100_000_00  # one entry may move at most 100,000 yuan
_PIN = re.compile(r"^\d{6}$")
_DIGITS = re.compile(r"\D")


class MembershipError(CarelineError):
    error_id = "membership_error"


class CardNotFound(MembershipError):
    status_code = 404
    error_id = "card_not_found"


class InvalidCardNumber(MembershipError):
    status_code = 422
    error_id = "invalid_card_number"


class CardNotActive(MembershipError):
    status_code = 409
    error_id = "card_not_active"


class WrongPin(MembershipError):
    status_code = 401
    error_id = "wrong_pin"


class CardLocked(MembershipError):
    status_code = 423
    error_id = "card_locked"


class InvalidPin(MembershipError):
    status_code = 422
    error_id = "invalid_pin"


class InsufficientBalance(MembershipError):
    status_code = 409
    error_id = "insufficient_balance"


class InvalidAmount(MembershipError):
    status_code = 422
    error_id = "invalid_amount"


class IdempotencyConflict(MembershipError):
    status_code = 409
    error_id = "idempotency_conflict"


class CardStatus(StrEnum):
    ACTIVE = "active"
    LOST = "lost"
    FROZEN = "frozen"
    CLOSED = "closed"


class EntryKind(StrEnum):
    TOP_UP = "top_up"
    CHARGE = "charge"
    REFUND = "refund"
    ADJUSTMENT = "adjustment"


@dataclass(frozen=True, slots=True)
class MemberCard:
    id: int
    card_number: str
    patient_id: int
    status: CardStatus
    pin_hash: str
    failed_pin_attempts: int
    locked_until: datetime | None
    created_at: datetime
    balance: int = 0  # fen, the cached sum of the ledger (see tables.member_cards)

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    id: int
    card_id: int
    kind: EntryKind
    amount: int  # signed fen: charges are negative
    idempotency_key: str
    reason: str
    staff_id: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Statement:
    card_number: str
    first_day: date
    last_day: date
    opening_balance: int
    entries: list[LedgerEntry]
    closing_balance: int


def luhn_digit(body: str) -> str:
    """Return the Luhn check digit for the digit string ``body``."""
    total = 0
    for position, char in enumerate(reversed(body)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def make_card_number(serial: int) -> str:
    """Return the printed card number for a 13-digit ``serial``."""
    body = f"{CARD_PREFIX}{serial:013d}"
    if len(body) != CARD_LENGTH - 1:
        raise ValueError("serial out of range")
    return body + luhn_digit(body)


def normalize_card_number(text: str) -> str:
    """Return the 16 digits of a typed card number, or raise InvalidCardNumber."""
    digits = _DIGITS.sub("", text)
    if len(digits) != CARD_LENGTH or luhn_digit(digits[:-1]) != digits[-1]:
        raise InvalidCardNumber("The card number is not valid.", field="card_number")
    return digits


def validate_pin(pin: str) -> str:
    """Return the PIN if it is six digits, or raise InvalidPin."""
    if not _PIN.match(pin):
        raise InvalidPin("The PIN must be six digits.", field="pin")
    return pin


def signed_amount(kind: EntryKind, amount: int) -> int:
    """Return the ledger amount for a request of ``amount`` fen of ``kind``."""
    if kind is EntryKind.ADJUSTMENT:
        if amount == 0 or abs(amount) > MAX_AMOUNT:
            raise InvalidAmount("The amount must not be zero or too large.", field="amount")
        return amount
    if not 0 < amount <= MAX_AMOUNT:
        raise InvalidAmount("The amount must be positive and not too large.", field="amount")
    return -amount if kind is EntryKind.CHARGE else amount


def check_reason(reason: str, key: str) -> tuple[str, str]:
    """Return the trimmed reason and idempotency key, or raise when one is missing."""
    reason, key = reason.strip(), key.strip()
    if not reason or len(reason) > MAX_REASON:
        raise InvalidAmount("Every ledger entry needs a short reason.", field="reason")
    if not key or len(key) > MAX_KEY:
        raise InvalidAmount("Every ledger entry needs an idempotency key.", field="key")
    return reason, key
