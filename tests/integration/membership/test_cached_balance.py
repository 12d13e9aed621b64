"""The balance cached on the card row always equals the sum of its ledger."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from careline.db.engine import make_engine
from careline.db.migrate import upgrade
from careline.db.uow import UnitOfWork
from careline.membership import service as membership
from careline.membership.model import EntryKind, InsufficientBalance
from careline.membership.repository import MembershipRepository
from tests.integration.scheduling.world import build_world, make_clock

pytestmark = pytest.mark.asyncio
KINDS = (EntryKind.CHARGE, EntryKind.CHARGE, EntryKind.REFUND, EntryKind.TOP_UP)


async def _cached_and_summed(engine: AsyncEngine) -> dict[int, tuple[int, int]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            sa.text(
                "SELECT c.id, c.balance, COALESCE(SUM(e.amount), 0) FROM member_cards c "
                "LEFT JOIN member_ledger_entries e ON e.card_id = c.id GROUP BY c.id, c.balance"
            )
        )
        return {card: (int(cached), int(summed)) for card, cached, summed in rows}


async def test_cached_balance_follows_concurrent_entries(any_engine: AsyncEngine) -> None:
    world = await build_world(any_engine, patients=3, balance=50_00)
    engines = [make_engine(any_engine.url.render_as_string(hide_password=False)) for _ in range(4)]
    rng = random.Random(3)
    plan = [
        (rng.choice(world.cards), rng.choice(KINDS), rng.randrange(1, 40) * 100) for _ in range(90)
    ]
    # Whatever order the entries land in, the first card's charges exceed its opening
    # balance and every credit it gets, so some charge must be refused.
    first = world.cards[0]
    credits = sum(a for card, kind, a in plan if card == first and kind is not EntryKind.CHARGE)
    plan += [(first, EntryKind.CHARGE, 25_00)] * ((50_00 + credits) // 25_00 + 1)

    async def post(n: int, card: int, kind: EntryKind, amount: int) -> bool:
        try:
            async with UnitOfWork(engines[n % len(engines)]) as uow:
                await membership.post_entry(
                    uow,
                    card_id=card,
                    kind=kind,
                    amount=amount,
                    key=f"mix-{n}",
                    reason="test",
                    clock=make_clock(),
                )
        except InsufficientBalance:
            return False
        return True

    try:
        done = await asyncio.gather(*(post(n, *step) for n, step in enumerate(plan)))
    finally:
        for extra in engines:
            await extra.dispose()
    refused = [step for step, ok in zip(plan, done, strict=True) if not ok]
    assert refused, "the plan should overdraw some card and be refused"
    assert all(kind is EntryKind.CHARGE for _, kind, _ in refused)
    for card, (cached, summed) in (await _cached_and_summed(any_engine)).items():
        assert cached == summed, f"card {card}"
        assert cached >= 0
    async with UnitOfWork(any_engine) as uow:
        for card in world.cards:
            assert (await membership.get_card(uow, card_id=card)).balance == (
                await membership.card_balance(uow, card_id=card)
            )


async def test_guarded_update_refuses_an_overdraw_without_the_lock(
    any_engine: AsyncEngine,
) -> None:
    world = await build_world(any_engine, patients=1, balance=10_00)
    card = world.cards[0]
    async with UnitOfWork(any_engine) as uow:
        repo = MembershipRepository(uow.connection)
        made = await repo.add_entry(
            card_id=card,
            kind=EntryKind.CHARGE,
            amount=-10_01,
            key="too-much",
            reason="test",
            staff_id=None,
            now=make_clock().now(),
        )
        assert made is None
        with pytest.raises(InsufficientBalance):
            await membership.charge_locked_card(
                uow,
                card_id=card,
                amount=10_01,
                key="too-much",
                reason="test",
                now=make_clock().now(),
            )
    assert await _cached_and_summed(any_engine) == {card: (10_00, 10_00)}


async def test_migration_fills_the_balance_from_the_ledger(tmp_path: Path) -> None:
    # No foreign-key pragma: the cards' owners do not matter to the migration.
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    stamp = "2026-01-01 00:00:00.000000"
    try:
        await upgrade(engine, "0002_booking")
        async with engine.begin() as conn:
            for card in (1, 2, 3):
                await conn.execute(
                    sa.text(
                        "INSERT INTO member_cards (id, card_number, patient_id, status, "
                        "pin_hash, failed_pin_attempts, created_at, updated_at) VALUES "
                        f"({card}, '880000000000{card:04d}', 1, 'active', 'x', 0, :t, :t)"
                    ),
                    {"t": stamp},
                )
            entries = [(1, 100_00), (1, -25_00), (2, 5_00), (2, 7_00)]
            for n, (card, amount) in enumerate(entries):
                await conn.execute(
                    sa.text(
                        "INSERT INTO member_ledger_entries (card_id, kind, amount, "
                        "idempotency_key, reason, created_at) VALUES (:c, 'adjustment', :a, "
                        ":k, 'old', :t)"
                    ),
                    {"c": card, "a": amount, "k": f"old-{n}", "t": stamp},
                )
        await upgrade(engine)
        async with engine.connect() as conn:
            rows = await conn.execute(sa.text("SELECT id, balance FROM member_cards ORDER BY id"))
            assert [tuple(row) for row in rows] == [(1, 75_00), (2, 12_00), (3, 0)]
    finally:
        await engine.dispose()
