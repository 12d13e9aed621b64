"""Membership use cases: issue cards, check PINs, post to the ledger, read balances.

Every ledger write locks the card row first (see ``repository.lock_row``), then checks
the idempotency key and the balance, then appends; two charges on one card therefore run
one after the other and can never overdraw it, on SQLite and on PostgreSQL alike. The
card row caches the balance (``member_cards.balance``), moved in the same transaction as
each appended entry by an ``UPDATE`` that itself refuses to go below zero.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta, tzinfo

import structlog
from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from careline.db.uow import UnitOfWork
from careline.kit.clock import Clock
from careline.membership.model import (
    MAX_PIN_FAILURES,
    PIN_LOCK,
    CardLocked,
    CardNotActive,
    CardNotFound,
    CardStatus,
    EntryKind,
    IdempotencyConflict,
    InsufficientBalance,
    InvalidCardNumber,
    LedgerEntry,
    MemberCard,
    Statement,
    WrongPin,
    check_reason,
    make_card_number,
    normalize_card_number,
    signed_amount,
    validate_pin,
)
from careline.membership.repository import MembershipRepository
from careline.patients.repository import PatientRepository

log = structlog.get_logger(__name__)
# OWASP's argon2id minimum (19 MiB, 2 passes): a 6-digit PIN is guarded by the lock-out,
# the hash only has to make an offline guess of all 10^6 PINs cost real time.
pin_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
_ISSUE_ATTEMPTS = 5


def _repo(uow: UnitOfWork) -> MembershipRepository:
    return MembershipRepository(uow.connection)


async def issue_card(
    uow: UnitOfWork,
    *,
    patient_id: int,
    pin: str,
    clock: Clock,
    hasher: PasswordHasher = pin_hasher,
) -> MemberCard:
    """Issue a new active card with a random number to a registered patient."""
    validate_pin(pin)
    patient = await PatientRepository(uow.connection).get(patient_id)
    if patient is None or patient.is_merged:
        raise CardNotFound("No such patient.", field="patient_id")
    repo = _repo(uow)
    pin_hash = hasher.hash(pin)
    for _ in range(_ISSUE_ATTEMPTS):
        number = make_card_number(secrets.randbelow(10**13))
        if await repo.by_number(number) is None:
            card_id = await repo.add_card(
                card_number=number, patient_id=patient_id, pin_hash=pin_hash, now=clock.now()
            )
            await uow.commit()
            return await _require(repo, card_id)
    raise RuntimeError("could not draw a free card number")


async def _require(repo: MembershipRepository, card_id: int) -> MemberCard:
    card = await repo.get(card_id)
    if card is None:
        raise CardNotFound("No such card.", field="card_id")
    return card


async def get_card(uow: UnitOfWork, *, card_id: int) -> MemberCard:
    """Return a card by id or raise CardNotFound."""
    return await _require(_repo(uow), card_id)


async def find_card(uow: UnitOfWork, *, card_number: str) -> MemberCard:
    """Return the card with this printed number or raise."""
    card = await _repo(uow).by_number(normalize_card_number(card_number))
    if card is None:
        raise CardNotFound("No card has this number.", field="card_number")
    return card


async def cards_of_patient(uow: UnitOfWork, *, patient_id: int) -> list[MemberCard]:
    """Return every card a patient owns, oldest first."""
    return await _repo(uow).of_patient(patient_id)


async def resolve_card_patients(conn: AsyncConnection, card_number: str) -> list[int]:
    """Return the owner of a card number (for patient search); [] for no or bad numbers."""
    try:
        number = normalize_card_number(card_number)
    except InvalidCardNumber:
        return []
    return await MembershipRepository(conn).patients_with_card(number)


async def verify_pin(
    uow: UnitOfWork,
    *,
    card_number: str,
    pin: str,
    clock: Clock,
    hasher: PasswordHasher = pin_hasher,
) -> MemberCard:
    """Return the active card when the PIN is right; count failures and lock after five."""
    card = await find_card(uow, card_number=card_number)
    now = clock.now()
    if card.status is not CardStatus.ACTIVE:
        raise CardNotActive("This card is not active.", field="card_number")
    if card.is_locked(now):
        raise CardLocked("Too many wrong PINs: the card is locked for 30 minutes.")
    repo = _repo(uow)
    try:
        hasher.verify(card.pin_hash, pin)
    except VerificationError:
        failures = card.failed_pin_attempts + 1
        locked = failures >= MAX_PIN_FAILURES
        await repo.update_card(
            card.id,
            now,
            failed_pin_attempts=0 if locked else failures,
            locked_until=now + PIN_LOCK if locked else None,
        )
        await uow.commit()
        log.info("membership.pin_failed", card_id=card.id, locked=locked)
        if locked:
            raise CardLocked("Too many wrong PINs: the card is locked for 30 minutes.") from None
        raise WrongPin("The PIN is wrong.", field="pin") from None
    if card.failed_pin_attempts or card.locked_until:
        await repo.update_card(card.id, now, failed_pin_attempts=0, locked_until=None)
        await uow.commit()
    return card


async def reset_pin(
    uow: UnitOfWork,
    *,
    card_id: int,
    new_pin: str,
    clock: Clock,
    hasher: PasswordHasher = pin_hasher,
) -> None:
    """Set a new PIN (staff) and lift any lock."""
    validate_pin(new_pin)
    repo = _repo(uow)
    await _require(repo, card_id)
    await repo.update_card(
        card_id,
        clock.now(),
        pin_hash=hasher.hash(new_pin),
        failed_pin_attempts=0,
        locked_until=None,
    )
    await uow.commit()


async def set_card_status(
    uow: UnitOfWork, *, card_id: int, status: CardStatus, clock: Clock
) -> MemberCard:
    """Mark a card active, lost, frozen or closed (a closed card stays closed)."""
    repo = _repo(uow)
    card = await _require(repo, card_id)
    if card.status is CardStatus.CLOSED and status is not CardStatus.CLOSED:
        raise CardNotActive("A closed card cannot be reopened.", field="status")
    await repo.update_card(card_id, clock.now(), status=status)
    await uow.commit()
    return await _require(repo, card_id)


async def lock_card(uow: UnitOfWork, *, card_id: int) -> MemberCard:
    """Hold the card's row lock until the caller's transaction ends; return the card."""
    card = await _repo(uow).lock(card_id)
    if card is None:
        raise CardNotFound("No such card.", field="card_id")
    return card


async def post_entry(
    uow: UnitOfWork,
    *,
    card_id: int,
    kind: EntryKind,
    amount: int,
    key: str,
    reason: str,
    clock: Clock,
    staff_id: int | None = None,
    commit: bool = True,
    locked_card: MemberCard | None = None,
) -> LedgerEntry:
    """Append one ledger entry; the same key again returns the first entry unchanged.

    ``amount`` is positive fen for top-ups, charges and refunds, signed for adjustments.
    With ``commit=False`` the caller's transaction keeps the card locked until it commits;
    a caller that already holds the lock passes the card as ``locked_card``.
    """
    signed = signed_amount(kind, amount)
    reason, key = check_reason(reason, key)
    repo = _repo(uow)
    card = locked_card if locked_card is not None else await lock_card(uow, card_id=card_id)
    existing = await repo.entry_by_key(key)
    if existing is not None:
        if (existing.card_id, existing.kind, existing.amount) != (card_id, kind, signed):
            raise IdempotencyConflict("This request key was already used for another entry.")
        return existing
    if kind in (EntryKind.CHARGE, EntryKind.TOP_UP) and card.status is not CardStatus.ACTIVE:
        raise CardNotActive("This card is not active.", field="card_id")
    if signed < 0 and card.balance + signed < 0:
        raise InsufficientBalance("The card's balance is too low.", field="amount")
    try:
        entry = await repo.add_entry(
            card_id=card_id,
            kind=kind,
            amount=signed,
            key=key,
            reason=reason,
            staff_id=staff_id,
            now=clock.now(),
        )
    except IntegrityError:
        # The same key was just used on another card: the lock does not cover that race.
        raise IdempotencyConflict("This request key was already used for another entry.") from None
    if entry is None:  # the card was not locked by its caller after all
        raise InsufficientBalance("The card's balance is too low.", field="amount")
    if commit:
        await uow.commit()
    return entry


async def charge_locked_card(
    uow: UnitOfWork,
    *,
    card_id: int,
    amount: int,
    key: str,
    reason: str,
    now: datetime,
    staff_id: int | None = None,
) -> int:
    """Append a charge of ``amount`` fen to a card the caller has locked; return its id.

    For a caller that has already checked the card's status, the key and the balance under
    the lock (the booking path); the balance guard still refuses an overdraw. On any error
    the caller's transaction must be rolled back.
    """
    entry = await _repo(uow).add_entry(
        card_id=card_id,
        kind=EntryKind.CHARGE,
        amount=signed_amount(EntryKind.CHARGE, amount),
        key=key,
        reason=reason,
        staff_id=staff_id,
        now=now,
    )
    if entry is None:
        raise InsufficientBalance("The card's balance is too low.", field="amount")
    return entry.id


async def card_balance(uow: UnitOfWork, *, card_id: int) -> int:
    """Return the card's balance in fen: the sum of its ledger."""
    repo = _repo(uow)
    await _require(repo, card_id)
    return await repo.balance(card_id)


def _day_start(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


async def card_statement(
    uow: UnitOfWork, *, card_id: int, first_day: date, last_day: date, zone: tzinfo
) -> Statement:
    """Return the entries between two hospital-local days with opening and closing balance."""
    repo = _repo(uow)
    card = await _require(repo, card_id)
    start = _day_start(first_day, zone)
    end = _day_start(last_day + timedelta(days=1), zone)
    opening = await repo.balance(card_id, before=start)
    entries = await repo.entries_between(card_id, start, end)
    closing = opening + sum(entry.amount for entry in entries)
    return Statement(card.card_number, first_day, last_day, opening, entries, closing)
