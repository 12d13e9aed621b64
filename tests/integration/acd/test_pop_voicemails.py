"""The screen pop lists the messages a caller left for doctors (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.acd import desk, service
from careline.acd.pages import _partial
from careline.db.uow import UnitOfWork
from careline.directory import admin
from careline.directory import service as directory
from careline.directory.model import Department, Doctor, DoctorTitle
from careline.kit.clock import FakeClock
from careline.patients import service as patients
from careline.patients.validation import PatientInput
from careline.staff.model import Role
from careline.voicemail import service as voicemail
from tests.conftest import make_staff


async def a_doctor(engine: AsyncEngine) -> int:
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
    return doctor.id


async def leave(engine: AsyncEngine, doctor_id: int, phone: str | None, clock: FakeClock) -> str:
    async with UnitOfWork(engine) as uow:
        message = await voicemail.leave_message(
            uow,
            doctor_id=doctor_id,
            recording_path="recordings/voicemail/a.wav",
            caller_phone=phone,
            pin="4321",
            language="zh-CN",
            clock=clock,
        )
    return message.number


@pytest.mark.asyncio
async def test_voicemails_of_a_patient_match_any_of_their_numbers_newest_first(
    any_engine: AsyncEngine,
) -> None:
    clock = FakeClock()
    doctor_id = await a_doctor(any_engine)
    async with UnitOfWork(any_engine) as uow:
        patient = await patients.register_patient(
            uow,
            data=PatientInput(name="李华", phones=[("13800138000", "mobile")]),
            staff_id=None,
        )
    first = await leave(any_engine, doctor_id, "+8613800138000", clock)
    clock.advance(60)
    second = await leave(any_engine, doctor_id, "13800138000", clock)  # as the trunk sent it
    await leave(any_engine, doctor_id, "+8613900000000", clock)  # somebody else
    await leave(any_engine, doctor_id, None, clock)  # number withheld
    async with UnitOfWork(any_engine) as uow:
        found = await service.patient_voicemails(uow, patient_id=patient.id)
        nobody = await service.patient_voicemails(uow, patient_id=patient.id + 100)
    assert [(v.number, v.doctor_name, v.replied) for v in found] == [
        (second, "张伟", False),
        (first, "张伟", False),
    ]
    assert nobody == []


@pytest.mark.asyncio
async def test_the_screen_pop_card_shows_the_patients_voicemails(engine: AsyncEngine) -> None:
    clock = FakeClock()
    doctor_id = await a_doctor(engine)
    agent = await make_staff(engine, "agent.vm", Role.AGENT)
    async with UnitOfWork(engine) as uow:
        await patients.register_patient(
            uow, data=PatientInput(name="王芳", phones=[("13800138000", "mobile")]), staff_id=None
        )
    number = await leave(engine, doctor_id, "+8613800138000", clock)
    async with UnitOfWork(engine) as uow:
        pop = await desk.build_screen_pop(
            uow,
            staff_id=agent.id,
            call_id="call-vm",
            queue="general",
            caller="13800138000",
            patient_id=None,
            ivr_path=(),
            language="zh-CN",
        )
    async with UnitOfWork(engine) as uow:
        doctors = await directory.list_doctors(uow)
    html = _partial(
        "acd/_pop.html",
        "en",
        pop=pop,
        wrap_up_codes=[],
        queues=[],
        agents=[(99, "Colleague")],
        doctors=doctors,
        booking_key="k1",
    )
    assert [v.number for v in pop.history.voicemails] == [number]
    assert f"Message for the doctor {number}" in html
    # The card also carries the named transfer and the booking form for this patient.
    assert '<option value="99">Colleague</option>' in html
    assert f'<option value="{doctor_id}">张伟 · 2002</option>' in html
    assert 'value="call-vm:k1"' in html
