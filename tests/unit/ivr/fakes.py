"""A scripted call and a small hospital for IVR tests."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.db.uow import UnitOfWork
from careline.directory import admin
from careline.directory.model import (
    Department,
    Doctor,
    DoctorTitle,
    Drug,
    FaxDocument,
    SessionPeriod,
    VisitInstruction,
    WeeklySession,
)
from careline.kit.clock import FakeClock
from careline.membership import service as membership
from careline.membership.model import EntryKind, MemberCard
from careline.patients.repository import PatientRepository
from careline.patients.service import register_patient
from careline.patients.synthetic import synthetic_patients
from careline.patients.validation import PatientInput
from careline.telephony.calls import CallEnded
from careline.telephony.media import Prompt, RecordingResult
from careline.telephony.media.prompt import write_wav

MOBILE = "13800138000"
PIN = "135790"
_call_numbers = itertools.count(1)


class FakeCall:
    """Keys come from a script (one entry per collect; "" is a timeout); speech is captured."""

    def __init__(self, script: list[str], caller: str = MOBILE, record_seconds: float = 3.0):
        self.script = list(script)
        self.caller = caller
        self.language = "zh-CN"
        self.spoken: list[str] = []
        self.queued: list[str] = []
        self.recordings: list[Path] = []
        self.hung_up = False
        self.record_seconds = record_seconds
        self._id = f"fake-call-{next(_call_numbers)}@test"

    @property
    def id(self) -> str:
        return self._id

    async def answer(self) -> None:
        return None

    async def play(self, prompt: Prompt, *, barge_in: bool = True) -> str | None:  # noqa: ARG002
        self.spoken.append(prompt.name)
        return None

    async def say(
        self,
        text: str,
        *,
        language: str | None = None,  # noqa: ARG002
        barge_in: bool = True,  # noqa: ARG002
    ) -> str | None:
        self.spoken.append(text)
        return None

    async def collect(
        self,
        max_digits: int = 1,  # noqa: ARG002
        timeout: float = 5.0,  # noqa: ARG002
        terminator: str = "#",  # noqa: ARG002
    ) -> str:
        if not self.script:
            raise CallEnded("hung_up")
        return self.script.pop(0)

    async def record(
        self,
        path: Path,
        *,
        max_seconds: float = 60.0,  # noqa: ARG002
        silence_seconds: float = 5.0,  # noqa: ARG002
        stop_digits: str = "#",  # noqa: ARG002
        beep: bool = True,  # noqa: ARG002
    ) -> RecordingResult:
        samples = int(8000 * self.record_seconds)
        tone = (np.sin(np.arange(samples) * 0.3) * 5000).astype(np.int16)
        write_wav(path, tone)
        self.recordings.append(path)
        return RecordingResult(path, self.record_seconds, "digit")

    async def transfer_to_queue(self, queue: str) -> None:
        self.queued.append(queue)

    async def hangup(self) -> None:
        self.hung_up = True

    def heard(self, fragment: str) -> bool:
        return any(fragment in text for text in self.spoken)


async def seed_hospital(engine: AsyncEngine) -> dict[str, int]:
    """A department, a doctor on Monday and Friday mornings, a drug, a document, a text."""
    async with UnitOfWork(engine) as uow:
        department = await admin.create_department(
            uow,
            department=Department(
                name_zh="心血管内科",
                name_en="Cardiology",
                location="门诊楼三层",
                phone="02112345678",
                opening_hours="8:00-17:00",
                description_zh="诊治心血管疾病。",
                description_en="Heart and vessels.",
            ),
        )
        sessions = [
            WeeklySession(
                weekday=day, period=SessionPeriod.MORNING, capacity=20, registration_fee=5000
            )
            for day in (0, 4)  # Monday and Friday
        ]
        doctor = await admin.create_doctor(
            uow,
            doctor=Doctor(
                department_id=department.id,
                name="李明",
                name_en="Li Ming",
                title=DoctorTitle.CHIEF,
                doctor_number="1001",
                introduction_zh="擅长高血压。",
                introduction_en="Hypertension.",
            ),
            sessions=sessions,
        )
        await admin.save_drug(
            uow,
            drug=Drug(
                code="860001",
                name_zh="阿莫西林胶囊",
                name_en="Amoxicillin",
                specification="0.25克×24粒",
                unit="盒",
                price=1250,
                usage_notes="一次两粒，一日三次。",
            ),
        )
        await admin.save_document(
            uow, document=FaxDocument(code="301", title="住院须知", body="住院须知全文")
        )
        await admin.save_instruction(
            uow, instruction=VisitInstruction(title="就诊流程", body="先挂号，再就诊。")
        )
    return {"department": department.id, "doctor": doctor.id}


async def seed_patient(engine: AsyncEngine, phone: str = MOBILE) -> int:
    async with UnitOfWork(engine) as uow:
        patient = await register_patient(
            uow,
            data=PatientInput(name="王芳", gender="female", phones=[(phone, "mobile")]),
            staff_id=None,
        )
    return patient.id


async def a_member(engine: AsyncEngine, balance: int = 20000, start: int = 5000) -> MemberCard:
    clock = FakeClock()
    async with UnitOfWork(engine) as uow:
        details = list(synthetic_patients(1, start=start))
        (patient_id,) = await PatientRepository(uow.connection).bulk_add(details, now=clock.now())
        await uow.commit()
        card = await membership.issue_card(uow, patient_id=patient_id, pin=PIN, clock=clock)
        if balance:
            await membership.post_entry(
                uow,
                card_id=card.id,
                kind=EntryKind.TOP_UP,
                amount=balance,
                key=f"seed-{start}",
                reason="Opening balance",
                clock=clock,
            )
    return card
