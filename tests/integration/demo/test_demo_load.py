"""Loading the demo hospital into SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from stdnum.cn import ric

from careline.db.uow import UnitOfWork
from careline.demo import DemoRefused, DemoSummary, is_empty, load_demo
from careline.directory import service
from careline.directory import tables as t
from careline.directory.model import DoctorTitle
from careline.patients.tables import patient_phones, patients


async def scalar(uow: UnitOfWork, query: sa.Select) -> object:  # type: ignore[type-arg]
    return (await uow.connection.execute(query)).scalar_one()


@pytest.mark.asyncio
async def test_demo_fills_an_empty_database_once(any_engine: AsyncEngine) -> None:
    linked: list[int] = []

    async def staff_hook(uow: UnitOfWork, summary: DemoSummary) -> int:
        linked.extend(summary.doctor_ids)
        return 6

    async with UnitOfWork(any_engine) as uow:
        assert await is_empty(uow)
        summary = await load_demo(uow, patients=250, seed=3, staff_hook=staff_hook)
    assert summary.departments >= 12
    assert summary.doctors >= 40
    assert summary.drugs >= 100
    assert summary.patients == 250
    assert summary.staff == 6
    assert linked == summary.doctor_ids
    async with UnitOfWork(any_engine) as uow:
        assert not await is_empty(uow)
        count = sa.func.count()
        assert await scalar(uow, sa.select(count).select_from(t.doctors)) == summary.doctors
        assert await scalar(uow, sa.select(count).select_from(t.drugs)) == summary.drugs
        assert await scalar(uow, sa.select(count).select_from(patients)) == 250
        assert await scalar(uow, sa.select(count).select_from(patient_phones)) == 250
        sessions = await scalar(uow, sa.select(count).select_from(t.weekly_sessions))
        assert sessions == summary.weekly_sessions
        ids = (await uow.connection.execute(sa.select(patients.c.id_number))).scalars().all()
        assert all(ric.is_valid(number) for number in ids)
        with pytest.raises(DemoRefused):
            await load_demo(uow, patients=1)


@pytest.mark.asyncio
async def test_demo_doctors_have_fees_by_title_and_a_week_of_clinics(engine: AsyncEngine) -> None:
    async with UnitOfWork(engine) as uow:
        summary = await load_demo(uow, patients=0)
        doctors = await service.list_doctors(uow)
        templates = {d.id: await service.doctor_template(uow, doctor_id=d.id) for d in doctors}
    assert len({d.title for d in doctors}) == len(DoctorTitle)
    assert len({d.doctor_number for d in doctors}) == summary.doctors
    fees = {DoctorTitle.CHIEF: 5000, DoctorTitle.ATTENDING: 1500}
    for doctor in doctors:
        assert templates[doctor.id], doctor.name
        if doctor.title in fees and doctor.department_id != summary.department_ids["急诊科"]:
            assert {s.registration_fee for s in templates[doctor.id]} == {fees[doctor.title]}
        assert doctor.name_en
        assert doctor.name_en[0].isupper()


@pytest.mark.asyncio
async def test_same_seed_gives_the_same_hospital(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from careline.db.engine import make_engine
    from careline.tables import metadata

    names = []
    for run in range(2):
        engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / f'demo{run}.db'}")
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        async with UnitOfWork(engine) as uow:
            await load_demo(uow, patients=20, seed=11)
            doctors = await service.list_doctors(uow)
            first_patients = (
                (await uow.connection.execute(sa.select(patients.c.name).order_by(patients.c.id)))
                .scalars()
                .all()
            )
            names.append(([d.name for d in doctors], list(first_patients)))
        await engine.dispose()
    assert names[0] == names[1]
