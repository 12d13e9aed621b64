"""Directory use cases on a real database: SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.db.uow import UnitOfWork
from careline.directory import admin, service
from careline.directory import tables as t
from careline.directory.model import (
    ClinicType,
    Department,
    DirectoryNotFound,
    Doctor,
    DoctorTitle,
    Drug,
    ExceptionKind,
    Hospital,
    InvalidDirectoryInput,
    ScheduleException,
    SessionPeriod,
    WeeklySession,
)
from careline.directory.sessions import CancelReason

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = date(2026, 11, 23)


def weekly(
    weekday: int, period: SessionPeriod = SessionPeriod.MORNING, **extra: object
) -> WeeklySession:
    values: dict[str, object] = {"capacity": 20, "registration_fee": 5000}
    values.update(extra)
    return WeeklySession(weekday=weekday, period=period, **values)  # type: ignore[arg-type]


async def count(uow: UnitOfWork, table: sa.Table) -> int:
    query = sa.select(sa.func.count()).select_from(table)
    return int((await uow.connection.execute(query)).scalar_one())


async def cardiology_with_doctor(uow: UnitOfWork) -> tuple[Department, Doctor]:
    parent = await admin.create_department(
        uow, department=Department(name_zh="内科", name_en="Medicine")
    )
    cardiology = await admin.create_department(
        uow,
        department=Department(name_zh="心血管内科", name_en="Cardiology", parent_id=parent.id),
    )
    doctor = await admin.create_doctor(
        uow,
        doctor=Doctor(
            department_id=cardiology.id,
            name="张伟",
            name_en="Zhang Wei",
            title=DoctorTitle.CHIEF,
            doctor_number="1001",
        ),
        sessions=[
            weekly(0, clinic_type=ClinicType.EXPERT),
            weekly(3, SessionPeriod.AFTERNOON, start_time=time(14, 0)),
        ],
    )
    return cardiology, doctor


@pytest.mark.asyncio
async def test_doctor_with_template_gives_a_week_of_sessions(any_engine: AsyncEngine) -> None:
    async with UnitOfWork(any_engine) as uow:
        cardiology, doctor = await cardiology_with_doctor(uow)
    async with UnitOfWork(any_engine) as uow:
        view = await service.doctor_week(uow, doctor_id=doctor.id, first_day=MONDAY, zone=SHANGHAI)
    assert view.department == cardiology
    assert [(s.weekday, s.period) for s in view.template] == [
        (0, SessionPeriod.MORNING),
        (3, SessionPeriod.AFTERNOON),
    ]
    assert view.template[1].start_time == time(14, 0)
    assert [(s.day, s.starts_at.astimezone(UTC)) for s in view.sessions] == [
        (MONDAY, datetime(2026, 11, 23, 0, 0, tzinfo=UTC)),
        (date(2026, 11, 26), datetime(2026, 11, 26, 6, 0, tzinfo=UTC)),
    ]
    assert view.sessions[0].clinic_type is ClinicType.EXPERT


@pytest.mark.asyncio
async def test_refused_doctor_writes_nothing(any_engine: AsyncEngine) -> None:
    async with UnitOfWork(any_engine) as uow:
        department = await admin.create_department(uow, department=Department(name_zh="儿科"))
        bad = Doctor(
            department_id=department.id, name="李娜", title=DoctorTitle.RESIDENT, doctor_number="7"
        )
        with pytest.raises(InvalidDirectoryInput) as caught:
            await admin.create_doctor(
                uow, doctor=bad, sessions=[weekly(1), weekly(2, capacity=-3, registration_fee=-1)]
            )
        assert set(caught.value.errors) == {
            "sessions-1-capacity",
            "sessions-1-registration_fee",
        }
    async with UnitOfWork(any_engine) as uow:
        assert await count(uow, t.doctors) == 0
        assert await count(uow, t.weekly_sessions) == 0


@pytest.mark.asyncio
async def test_unknown_department_and_taken_number_are_field_errors(
    any_engine: AsyncEngine,
) -> None:
    async with UnitOfWork(any_engine) as uow:
        _, doctor = await cardiology_with_doctor(uow)
        stray = Doctor(
            department_id=999, name="王芳", title=DoctorTitle.ATTENDING, doctor_number="1001"
        )
        with pytest.raises(InvalidDirectoryInput) as caught:
            await admin.create_doctor(uow, doctor=stray)
        assert caught.value.errors == {
            "department_id": "Unknown department.",
            "doctor_number": "Another doctor has this number.",
        }


@pytest.mark.asyncio
async def test_update_replaces_template_only_when_given(any_engine: AsyncEngine) -> None:
    async with UnitOfWork(any_engine) as uow:
        _, doctor = await cardiology_with_doctor(uow)
        renamed = replace(doctor, name_en="Wei Zhang")
        await admin.update_doctor(uow, doctor=renamed)
        assert len(await service.doctor_template(uow, doctor_id=doctor.id)) == 2
        await admin.update_doctor(uow, doctor=renamed, sessions=[weekly(4, SessionPeriod.EVENING)])
    async with UnitOfWork(any_engine) as uow:
        template = await service.doctor_template(uow, doctor_id=doctor.id)
        stored = await service.get_doctor(uow, doctor_id=doctor.id)
    assert [(s.weekday, s.period) for s in template] == [(4, SessionPeriod.EVENING)]
    assert stored.name_en == "Wei Zhang"


@pytest.mark.asyncio
async def test_exceptions_of_doctor_department_and_hospital_apply(any_engine: AsyncEngine) -> None:
    async with UnitOfWork(any_engine) as uow:
        cardiology, doctor = await cardiology_with_doctor(uow)
        await admin.add_exception(
            uow,
            exception=ScheduleException(
                kind=ExceptionKind.LEAVE, first_day=MONDAY, last_day=MONDAY, doctor_id=doctor.id
            ),
        )
        await admin.add_exception(
            uow,
            exception=ScheduleException(
                kind=ExceptionKind.STOPPED,
                first_day=date(2026, 11, 26),
                last_day=date(2026, 11, 26),
                period=SessionPeriod.AFTERNOON,
                department_id=cardiology.id,
                reason="设备检修",
            ),
        )
        await admin.add_exception(
            uow,
            exception=ScheduleException(
                kind=ExceptionKind.HOLIDAY,
                first_day=date(2026, 11, 30),
                last_day=date(2026, 11, 30),
            ),
        )
    async with UnitOfWork(any_engine) as uow:
        found = await service.department_sessions(
            uow, department_id=cardiology.id, first_day=MONDAY, days=14, zone=SHANGHAI
        )
    reasons = {s.day: s.cancel_reason for s in found}
    assert reasons == {
        MONDAY: CancelReason.LEAVE,
        date(2026, 11, 26): CancelReason.STOPPED,
        date(2026, 11, 30): CancelReason.HOSPITAL_HOLIDAY,
        date(2026, 12, 3): None,
    }


@pytest.mark.asyncio
async def test_exception_for_unknown_doctor_is_refused(any_engine: AsyncEngine) -> None:
    async with UnitOfWork(any_engine) as uow:
        with pytest.raises(InvalidDirectoryInput):
            await admin.add_exception(
                uow,
                exception=ScheduleException(
                    kind=ExceptionKind.LEAVE, first_day=MONDAY, last_day=MONDAY, doctor_id=42
                ),
            )
        with pytest.raises(DirectoryNotFound):
            await admin.delete_exception(uow, exception_id=42)


@pytest.mark.asyncio
async def test_department_with_doctors_cannot_be_deleted(any_engine: AsyncEngine) -> None:
    async with UnitOfWork(any_engine) as uow:
        cardiology, _ = await cardiology_with_doctor(uow)
        with pytest.raises(InvalidDirectoryInput):
            await admin.delete_department(uow, department_id=cardiology.id)
        empty = await admin.create_department(uow, department=Department(name_zh="眼科"))
        await admin.delete_department(uow, department_id=empty.id)
        assert [d.name_zh for d in await service.list_departments(uow)] == ["内科", "心血管内科"]


@pytest.mark.asyncio
async def test_department_cycle_and_duplicate_name_are_refused(any_engine: AsyncEngine) -> None:
    async with UnitOfWork(any_engine) as uow:
        cardiology, _ = await cardiology_with_doctor(uow)
        assert cardiology.parent_id is not None
        parent = await service.get_department(uow, department_id=cardiology.parent_id)
        with pytest.raises(InvalidDirectoryInput) as caught:
            await admin.update_department(uow, department=replace(parent, parent_id=cardiology.id))
        assert "parent_id" in caught.value.errors
        with pytest.raises(InvalidDirectoryInput) as caught:
            await admin.create_department(uow, department=Department(name_zh="内科"))
        assert "name_zh" in caught.value.errors


@pytest.mark.asyncio
async def test_drug_search_by_name_pinyin_initials_code_and_english(
    any_engine: AsyncEngine,
) -> None:
    async with UnitOfWork(any_engine) as uow:
        for code, zh, en in [
            ("860001", "阿莫西林胶囊", "Amoxicillin Capsules"),
            ("860002", "布洛芬缓释胶囊", "Ibuprofen Capsules"),
            ("860003", "维生素C片", "Vitamin C Tablets"),
        ]:
            await admin.save_drug(
                uow,
                drug=Drug(
                    code=code, name_zh=zh, name_en=en, specification="1", unit="盒", price=100
                ),
            )

        async def codes(query: str) -> list[str]:
            found, total = await service.search_drugs(uow, query=query)
            assert total == len(found)
            return [d.code for d in found]

        assert await codes("胶囊") == ["860001", "860002"]
        assert await codes("amx") == ["860001"]
        assert await codes("buluofen") == ["860002"]
        assert await codes("VITAMIN") == ["860003"]
        assert await codes("86000") == ["860001", "860002", "860003"]
        assert await codes("100%") == []
        assert (await service.drug_by_code(uow, code="860003")).name_en == "Vitamin C Tablets"
        with pytest.raises(InvalidDirectoryInput):
            await admin.save_drug(
                uow, drug=Drug(code="860001", name_zh="重复", specification="1", unit="盒", price=1)
            )


@pytest.mark.asyncio
async def test_hospital_profile_is_saved_then_replaced(any_engine: AsyncEngine) -> None:
    now = datetime(2026, 11, 25, tzinfo=UTC)
    async with UnitOfWork(any_engine) as uow:
        assert await service.get_hospital(uow) is None
        await admin.save_hospital(uow, hospital=Hospital(name_zh="甲医院"), now=now)
        await admin.save_hospital(uow, hospital=Hospital(name_zh="乙医院", name_en="B"), now=now)
    async with UnitOfWork(any_engine) as uow:
        hospital = await service.get_hospital(uow)
        assert hospital == Hospital(name_zh="乙医院", name_en="B")
        assert await count(uow, t.hospital_profile) == 1


@pytest.mark.asyncio
async def test_doctor_search_by_pinyin_and_inactive_hidden(any_engine: AsyncEngine) -> None:
    async with UnitOfWork(any_engine) as uow:
        _, doctor = await cardiology_with_doctor(uow)
        assert [d.id for d in await service.list_doctors(uow, query="zw")] == [doctor.id]
        assert [d.id for d in await service.list_doctors(uow, query="1001")] == [doctor.id]
        await admin.deactivate_doctor(uow, doctor_id=doctor.id)
        assert await service.list_doctors(uow) == []
        with pytest.raises(DirectoryNotFound):
            await service.get_doctor(uow, doctor_id=doctor.id)
        with pytest.raises(DirectoryNotFound):
            await service.doctor_by_number(uow, doctor_number="1001")
