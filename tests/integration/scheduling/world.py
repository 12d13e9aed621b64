"""A small hospital for booking tests: one department, doctors, patients with cards."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from argon2 import PasswordHasher
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.db.uow import UnitOfWork
from careline.directory import admin
from careline.directory.model import Department, Doctor, DoctorTitle, SessionPeriod, WeeklySession
from careline.kit.clock import FakeClock
from careline.membership import service as membership
from careline.membership.model import EntryKind
from careline.patients.repository import PatientRepository
from careline.patients.synthetic import synthetic_patients

FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
PIN = "135790"
FEE = 50_00
# Wednesday 2026-11-25 09:00 in Shanghai.
START = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)


@dataclass
class World:
    department_id: int
    doctor_id: int
    second_doctor_id: int
    cards: list[int] = field(default_factory=list)
    patients: list[int] = field(default_factory=list)


def make_clock(start: datetime = START) -> FakeClock:
    return FakeClock(start)


def week(capacity: int, fee: int = FEE) -> list[WeeklySession]:
    """A morning clinic on every day of the week, holidays excepted."""
    return [
        WeeklySession(
            weekday=d, period=SessionPeriod.MORNING, capacity=capacity, registration_fee=fee
        )
        for d in range(7)
    ]


async def build_world(
    engine: AsyncEngine,
    *,
    patients: int = 3,
    capacity: int = 16,
    balance: int = 200_00,
    clock: FakeClock | None = None,
    start_index: int = 0,
) -> World:
    """Create a department with two doctors and ``patients`` members with money on a card."""
    clock = clock or make_clock()
    async with UnitOfWork(engine) as uow:
        department = await admin.create_department(
            uow, department=Department(name_zh=f"心内科{start_index}", name_en="Cardiology")
        )
        doctors = []
        for n in (1, 2):
            doctor = await admin.create_doctor(
                uow,
                doctor=Doctor(
                    department_id=department.id,
                    name=f"王医生{n}",
                    title=DoctorTitle.CHIEF,
                    doctor_number=f"{start_index * 10 + n}",
                ),
                sessions=week(capacity),
            )
            doctors.append(doctor.id)
        world = World(department.id, doctors[0], doctors[1])
        await add_members(uow, world, patients, balance, clock, start_index * 100_000)
    return world


async def add_members(
    uow: UnitOfWork, world: World, count: int, balance: int, clock: FakeClock, start: int = 0
) -> None:
    repo = PatientRepository(uow.connection)
    details = list(synthetic_patients(count, start=start + 1000))
    ids = await repo.bulk_add(details, now=clock.now())
    await uow.commit()
    for patient_id in ids:
        card = await membership.issue_card(
            uow, patient_id=patient_id, pin=PIN, clock=clock, hasher=FAST_HASHER
        )
        if balance:
            await membership.post_entry(
                uow,
                card_id=card.id,
                kind=EntryKind.TOP_UP,
                amount=balance,
                key=f"seed-{card.id}",
                reason="Opening balance",
                clock=clock,
            )
        world.cards.append(card.id)
        world.patients.append(patient_id)


async def total_balance(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        value = await conn.scalar(
            sa.text("SELECT COALESCE(SUM(amount), 0) FROM member_ledger_entries")
        )
    return int(value or 0)
