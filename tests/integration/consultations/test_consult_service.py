"""Consultation terms, availability and records on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.consultations import service
from careline.consultations.model import (
    Availability,
    ConsultSettings,
    FeeMode,
    Outcome,
    Window,
    WindowException,
)
from careline.db.uow import UnitOfWork
from careline.directory import admin
from careline.directory.model import Department, Doctor, DoctorTitle
from careline.kit.clock import FakeClock
from careline.membership import service as membership
from careline.membership.model import EntryKind
from careline.patients.service import register_patient
from careline.patients.validation import PatientInput

WEDNESDAY_9AM = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)


async def a_doctor(engine: AsyncEngine, clock: FakeClock, **terms: object) -> int:
    async with UnitOfWork(engine) as uow:
        department = await admin.create_department(uow, department=Department(name_zh="儿科"))
        doctor = await admin.create_doctor(
            uow,
            doctor=Doctor(
                department_id=department.id,
                name="张伟",
                title=DoctorTitle.ATTENDING,
                doctor_number="2002",
            ),
        )
        settings = ConsultSettings(doctor.id, True, 600, **terms)  # type: ignore[arg-type]
        await service.update_settings(uow, settings=settings, clock=clock)
        await service.set_windows(uow, doctor_id=doctor.id, windows=[Window(2, time(8), time(12))])
        await service.set_private_numbers(
            uow, doctor_id=doctor.id, numbers=["13712345678", "02161234567"]
        )
    return doctor.id


@pytest.mark.asyncio
async def test_availability_follows_windows_exceptions_and_calls(any_engine: AsyncEngine) -> None:
    clock = FakeClock(WEDNESDAY_9AM)
    doctor_id = await a_doctor(any_engine, clock)
    async with UnitOfWork(any_engine) as uow:
        offer = await service.check_availability(uow, doctor_id=doctor_id, clock=clock)
        assert offer.availability is Availability.AVAILABLE
        assert await service.numbers_to_dial(uow, doctor_id=doctor_id) == [
            "13712345678",
            "02161234567",
        ]
        assert await service.masked_numbers(uow, doctor_id=doctor_id) == [
            "*********78",
            "*********67",
        ]
        consultation_id = await service.start_consultation(
            uow, doctor_id=doctor_id, call_id="c1", clock=clock
        )
        busy = await service.check_availability(uow, doctor_id=doctor_id, clock=clock)
        assert busy.availability is Availability.BUSY
        await service.finish_consultation(
            uow, consultation_id=consultation_id, outcome=Outcome.NO_ANSWER, seconds=0, clock=clock
        )
        await service.add_exception(
            uow, doctor_id=doctor_id, exception=WindowException(date(2026, 11, 25), False)
        )
        closed = await service.check_availability(uow, doctor_id=doctor_id, clock=clock)
    assert closed.availability is Availability.OUTSIDE_HOURS
    assert closed.next_open_at == "2026-12-02T08:00:00+08:00"


@pytest.mark.asyncio
async def test_a_completed_call_is_charged_once(any_engine: AsyncEngine, tmp_path: Path) -> None:
    clock = FakeClock(WEDNESDAY_9AM)
    doctor_id = await a_doctor(any_engine, clock, fee_mode=FeeMode.PER_CONSULTATION, fee_fen=3000)
    async with UnitOfWork(any_engine) as uow:
        patient = await register_patient(
            uow, data=PatientInput(name="王芳", gender="female"), staff_id=None
        )
        card = await membership.issue_card(uow, patient_id=patient.id, pin="135790", clock=clock)
        await membership.post_entry(
            uow,
            card_id=card.id,
            kind=EntryKind.TOP_UP,
            amount=10000,
            key="seed",
            reason="Opening balance",
            clock=clock,
        )
        consultation_id = await service.start_consultation(
            uow,
            doctor_id=doctor_id,
            call_id="c1",
            clock=clock,
            patient_id=patient.id,
            member_card_id=card.id,
        )
        await service.mark_connected(uow, consultation_id=consultation_id, clock=clock)
        done = await service.finish_consultation(
            uow,
            consultation_id=consultation_id,
            outcome=Outcome.COMPLETED,
            seconds=300,
            clock=clock,
        )
        assert done.charge_fen == 3000
        assert await membership.card_balance(uow, card_id=card.id) == 7000
        clock.advance(timedelta(days=40).total_seconds())
        removed = await service.purge_expired(
            uow, clock=clock, retention_days=30, data_dir=tmp_path
        )
        assert removed == 1
        assert await service.list_consultations(uow, doctor_id=doctor_id) == []


@pytest.mark.asyncio
async def test_offering_doctors_are_switched_on_with_a_number(any_engine: AsyncEngine) -> None:
    clock = FakeClock(WEDNESDAY_9AM)
    offering = await a_doctor(any_engine, clock)
    async with UnitOfWork(any_engine) as uow:
        department = await admin.create_department(uow, department=Department(name_zh="眼科"))
        others = []
        for number in ("3003", "3004", "3005"):
            doctor = await admin.create_doctor(
                uow,
                doctor=Doctor(
                    department_id=department.id,
                    name="王芳",
                    title=DoctorTitle.ATTENDING,
                    doctor_number=number,
                ),
            )
            others.append(doctor.id)
        switched_off, no_number, _never_set = others
        off = ConsultSettings(switched_off, False, 600)
        await service.update_settings(uow, settings=off, clock=clock)
        await service.set_private_numbers(uow, doctor_id=switched_off, numbers=["13712345678"])
        on = ConsultSettings(no_number, True, 600)
        await service.update_settings(uow, settings=on, clock=clock)
    async with UnitOfWork(any_engine) as uow:
        assert await service.offering_doctors(uow) == [offering]
