"""Cards, PINs and the ledger on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.db.engine import make_engine
from careline.db.uow import UnitOfWork
from careline.membership import service as membership
from careline.membership.model import (
    CardLocked,
    CardNotActive,
    CardStatus,
    EntryKind,
    IdempotencyConflict,
    InsufficientBalance,
    WrongPin,
)
from tests.integration.scheduling.world import FAST_HASHER, PIN, build_world, make_clock

pytestmark = pytest.mark.asyncio


async def _post(engine: AsyncEngine, card_id: int, kind: EntryKind, amount: int, key: str) -> None:
    async with UnitOfWork(engine) as uow:
        await membership.post_entry(
            uow,
            card_id=card_id,
            kind=kind,
            amount=amount,
            key=key,
            reason="test",
            clock=make_clock(),
        )


async def _balance(engine: AsyncEngine, card_id: int) -> int:
    async with UnitOfWork(engine) as uow:
        return await membership.card_balance(uow, card_id=card_id)


async def test_balance_is_the_sum_of_entries(any_engine: AsyncEngine) -> None:
    world = await build_world(any_engine, patients=1, balance=100_00)
    card = world.cards[0]
    await _post(any_engine, card, EntryKind.CHARGE, 30_00, "c1")
    await _post(any_engine, card, EntryKind.REFUND, 10_00, "r1")
    await _post(any_engine, card, EntryKind.ADJUSTMENT, -5_00, "a1")
    assert await _balance(any_engine, card) == 75_00


async def test_charge_beyond_balance_is_refused(any_engine: AsyncEngine) -> None:
    world = await build_world(any_engine, patients=1, balance=10_00)
    with pytest.raises(InsufficientBalance):
        await _post(any_engine, world.cards[0], EntryKind.CHARGE, 10_01, "too-much")
    await _post(any_engine, world.cards[0], EntryKind.CHARGE, 10_00, "exact")
    assert await _balance(any_engine, world.cards[0]) == 0


async def test_same_key_charges_once(any_engine: AsyncEngine) -> None:
    world = await build_world(any_engine, patients=1, balance=100_00)
    for _ in range(3):
        await _post(any_engine, world.cards[0], EntryKind.CHARGE, 20_00, "once")
    assert await _balance(any_engine, world.cards[0]) == 80_00
    with pytest.raises(IdempotencyConflict):
        await _post(any_engine, world.cards[0], EntryKind.CHARGE, 25_00, "once")


async def test_concurrent_charges_never_overdraw(any_engine: AsyncEngine) -> None:
    world = await build_world(any_engine, patients=1, balance=100_00)
    card = world.cards[0]
    # Several engines so SQLite sees real contention between connections.
    engines = [
        make_engine(str(any_engine.url.render_as_string(hide_password=False))) for _ in range(4)
    ]

    async def charge(n: int) -> bool:
        try:
            await _post(engines[n % 4], card, EntryKind.CHARGE, 30_00, f"race-{n}")
        except InsufficientBalance:
            return False
        return True

    results = await asyncio.gather(*(charge(n) for n in range(20)))
    for extra in engines:
        await extra.dispose()
    assert sum(results) == 3
    assert await _balance(any_engine, card) == 10_00


async def test_statement_has_opening_and_closing_balance(any_engine: AsyncEngine) -> None:
    clock = make_clock()
    world = await build_world(any_engine, patients=1, balance=100_00, clock=clock)
    card = world.cards[0]
    clock.advance(86400)
    async with UnitOfWork(any_engine) as uow:
        await membership.post_entry(
            uow,
            card_id=card,
            kind=EntryKind.CHARGE,
            amount=40_00,
            key="k",
            reason="fee",
            clock=clock,
        )
        statement = await membership.card_statement(
            uow,
            card_id=card,
            first_day=date(2026, 11, 26),
            last_day=date(2026, 11, 26),
            zone=clock.zone,
        )
    assert statement.opening_balance == 100_00
    assert [e.amount for e in statement.entries] == [-40_00]
    assert statement.closing_balance == 60_00


async def test_five_wrong_pins_lock_the_card_for_thirty_minutes(any_engine: AsyncEngine) -> None:
    clock = make_clock()
    world = await build_world(any_engine, patients=1, clock=clock)
    async with UnitOfWork(any_engine) as uow:
        card = await membership.get_card(uow, card_id=world.cards[0])
        for _ in range(4):
            with pytest.raises(WrongPin):
                await membership.verify_pin(
                    uow, card_number=card.card_number, pin="000000", clock=clock, hasher=FAST_HASHER
                )
        with pytest.raises(CardLocked):
            await membership.verify_pin(
                uow, card_number=card.card_number, pin="000000", clock=clock, hasher=FAST_HASHER
            )
        with pytest.raises(CardLocked):
            await membership.verify_pin(
                uow, card_number=card.card_number, pin=PIN, clock=clock, hasher=FAST_HASHER
            )
        clock.advance(30 * 60 + 1)
        found = await membership.verify_pin(
            uow, card_number=card.card_number, pin=PIN, clock=clock, hasher=FAST_HASHER
        )
    assert found.id == card.id


async def test_staff_reset_lifts_the_lock(any_engine: AsyncEngine) -> None:
    clock = make_clock()
    world = await build_world(any_engine, patients=1, clock=clock)
    async with UnitOfWork(any_engine) as uow:
        card = await membership.get_card(uow, card_id=world.cards[0])
        for _ in range(5):
            with pytest.raises((WrongPin, CardLocked)):
                await membership.verify_pin(
                    uow, card_number=card.card_number, pin="000000", clock=clock, hasher=FAST_HASHER
                )
        await membership.reset_pin(
            uow, card_id=card.id, new_pin="246810", clock=clock, hasher=FAST_HASHER
        )
        found = await membership.verify_pin(
            uow, card_number=card.card_number, pin="246810", clock=clock, hasher=FAST_HASHER
        )
    assert found.id == card.id


async def test_lost_card_cannot_be_charged_or_signed_in(any_engine: AsyncEngine) -> None:
    clock = make_clock()
    world = await build_world(any_engine, patients=1, clock=clock)
    async with UnitOfWork(any_engine) as uow:
        card = await membership.set_card_status(
            uow, card_id=world.cards[0], status=CardStatus.LOST, clock=clock
        )
        with pytest.raises(CardNotActive):
            await membership.verify_pin(
                uow, card_number=card.card_number, pin=PIN, clock=clock, hasher=FAST_HASHER
            )
    with pytest.raises(CardNotActive):
        await _post(any_engine, world.cards[0], EntryKind.CHARGE, 1_00, "lost")


async def test_card_resolver_finds_the_owner(any_engine: AsyncEngine) -> None:
    world = await build_world(any_engine, patients=2)
    async with UnitOfWork(any_engine) as uow:
        card = await membership.get_card(uow, card_id=world.cards[1])
        found = await membership.resolve_card_patients(uow.connection, card.card_number)
        bad = await membership.resolve_card_patients(uow.connection, "1234")
    assert found == [world.patients[1]]
    assert bad == []
