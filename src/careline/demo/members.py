"""Give demo patients member cards with a known PIN and money on them."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from argon2 import PasswordHasher

from careline.db.uow import UnitOfWork
from careline.kit.clock import Clock
from careline.membership import service as membership
from careline.membership.model import EntryKind
from careline.patients.tables import patients

DEMO_PIN = "123456"
DEMO_BALANCE = 500_00


@dataclass(frozen=True, slots=True)
class DemoMember:
    patient_id: int
    card_number: str


async def give_cards(
    uow: UnitOfWork,
    *,
    clock: Clock,
    count: int = 20,
    pin: str = DEMO_PIN,
    balance: int = DEMO_BALANCE,
    hasher: PasswordHasher = membership.pin_hasher,
) -> list[DemoMember]:
    """Issue a card (PIN ``pin``, ``balance`` fen) to each of the first ``count`` patients."""
    query = (
        sa.select(patients.c.id)
        .where(patients.c.merged_into_id.is_(None), patients.c.id_number.is_not(None))
        .order_by(patients.c.id)
        .limit(count)
    )
    members = []
    for patient_id in (await uow.connection.execute(query)).scalars().all():
        if await membership.cards_of_patient(uow, patient_id=patient_id):
            continue
        card = await membership.issue_card(
            uow, patient_id=patient_id, pin=pin, clock=clock, hasher=hasher
        )
        await membership.post_entry(
            uow,
            card_id=card.id,
            kind=EntryKind.TOP_UP,
            amount=balance,
            key=f"demo-opening-{card.id}",
            reason="Opening balance",
            clock=clock,
        )
        members.append(DemoMember(patient_id, card.card_number))
    return members
