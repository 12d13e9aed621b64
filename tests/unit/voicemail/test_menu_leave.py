"""The main menu's "leave a message for a doctor" path follows the doctor's box."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.db.uow import UnitOfWork
from careline.directory import admin
from careline.directory.model import Doctor, DoctorTitle
from careline.ivr.engine import IvrEngine
from careline.ivr.model import CallRecord
from careline.ivr.service import get_call_record
from careline.ivr.session import IvrServices, IvrTiming
from careline.kit.clock import FakeClock
from careline.telephony.media import RecordingResult
from careline.voicemail import inbox
from careline.voicemail import service as voicemail
from careline.voicemail.model import VoicemailBox
from tests.unit.ivr.fakes import FakeCall, seed_hospital

# 1 Mandarin, 4 doctors' menu, 1 leave a message, 2 by doctor number.
TO_DOCTOR_NUMBER = ["1", "4", "1", "2"]


class MeasuredCall(FakeCall):
    """A fake call that remembers the longest recording each ``record`` allowed."""

    def __init__(self, script: list[str]) -> None:
        super().__init__(script)
        self.limits: list[float] = []

    async def record(
        self,
        path: Path,
        *,
        max_seconds: float = 60.0,
        silence_seconds: float = 5.0,
        stop_digits: str = "#",
        beep: bool = True,
    ) -> RecordingResult:
        self.limits.append(max_seconds)
        return await super().record(
            path,
            max_seconds=max_seconds,
            silence_seconds=silence_seconds,
            stop_digits=stop_digits,
            beep=beep,
        )


@pytest.fixture
def services(engine: AsyncEngine, tmp_path: Path) -> IvrServices:
    return IvrServices(
        db=engine, clock=FakeClock(), data_dir=tmp_path, timing=IvrTiming(record_max_seconds=300)
    )


async def run(services: IvrServices, call: FakeCall) -> CallRecord:
    await IvrEngine(services)(call)
    async with UnitOfWork(services.db) as uow:
        return await get_call_record(uow, call_id=call.id)


async def set_box(services: IvrServices, box: VoicemailBox) -> None:
    async with UnitOfWork(services.db) as uow:
        await inbox.update_box(uow, box=box, clock=services.clock)


async def second_doctor(engine: AsyncEngine, department_id: int) -> int:
    async with UnitOfWork(engine) as uow:
        doctor = await admin.create_doctor(
            uow,
            doctor=Doctor(
                department_id=department_id,
                name="王静",
                name_en="Wang Jing",
                title=DoctorTitle.ATTENDING,
                doctor_number="1002",
            ),
            sessions=[],
        )
    return doctor.id


async def messages_of(services: IvrServices, doctor_id: int) -> int:
    async with UnitOfWork(services.db) as uow:
        return len(await voicemail.messages_for_doctor(uow, doctor_id=doctor_id))


@pytest.mark.asyncio
async def test_the_box_greeting_and_length_limit_are_used(services: IvrServices) -> None:
    ids = await seed_hospital(services.db)
    greeting = "我是李明，请简要说明您的问题。"
    await set_box(
        services, VoicemailBox(ids["doctor"], greeting_text=greeting, max_message_seconds=30)
    )
    call = MeasuredCall([*TO_DOCTOR_NUMBER, "1001", "2580"])
    record = await run(services, call)
    assert call.heard(greeting)
    assert not call.heard("您将给李明医生留言")  # the box's greeting replaces the standard one
    assert call.limits == [30]
    assert record.prompts.count("vm_left") == 2
    assert await messages_of(services, ids["doctor"]) == 1


@pytest.mark.asyncio
async def test_the_line_ceiling_caps_a_longer_box(engine: AsyncEngine, tmp_path: Path) -> None:
    services = IvrServices(
        db=engine, clock=FakeClock(), data_dir=tmp_path, timing=IvrTiming(record_max_seconds=20)
    )
    ids = await seed_hospital(engine)
    await set_box(services, VoicemailBox(ids["doctor"], max_message_seconds=90))
    call = MeasuredCall([*TO_DOCTOR_NUMBER, "1001", "2580"])
    await run(services, call)
    assert call.heard("您将给李明医生留言")
    assert call.limits == [20]


@pytest.mark.asyncio
async def test_a_closed_box_says_so_and_another_doctor_takes_the_message(
    services: IvrServices,
) -> None:
    ids = await seed_hospital(services.db)
    other = await second_doctor(services.db, ids["department"])
    await set_box(services, VoicemailBox(ids["doctor"], accepting=False))
    call = MeasuredCall([*TO_DOCTOR_NUMBER, "1001", "1", "2", "1002", "2580"])
    record = await run(services, call)
    assert record.prompts.index("vm_box_closed") < record.prompts.index("vm_box_closed_next")
    assert call.heard("给其他医生留言请按1")
    assert call.limits == [120]  # the second doctor never set a box up: the hospital default
    assert await messages_of(services, ids["doctor"]) == 0
    assert await messages_of(services, other) == 1


@pytest.mark.asyncio
async def test_a_closed_box_can_lead_back_to_the_doctors_menu(services: IvrServices) -> None:
    ids = await seed_hospital(services.db)
    await set_box(services, VoicemailBox(ids["doctor"], accepting=False))
    call = MeasuredCall([*TO_DOCTOR_NUMBER, "1001", "9", "9"])
    record = await run(services, call)
    assert "vm_box_closed" in record.prompts
    assert "record_after_beep" not in record.prompts
    assert call.limits == []
    # 9 returned to the doctors' menu, whose own 9 leads to the main menu.
    after = record.prompts[record.prompts.index("vm_box_closed_next") + 1 :]
    assert list(after[:2]) == ["voicemail_menu", "main_menu"]
    assert await messages_of(services, ids["doctor"]) == 0
