"""The admin's prompt pages and the supervisors' call records, through the web app."""

from __future__ import annotations

import io
import wave

import numpy as np
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.config import Settings
from careline.db.uow import UnitOfWork
from careline.ivr.engine import IvrEngine
from careline.ivr.model import CallRecord, Outcome
from careline.ivr.service import save_call_record
from careline.ivr.session import IvrServices
from careline.kit.clock import Clock, FakeClock
from careline.speech.speaker import Speaker
from careline.staff.model import Role
from tests.conftest import StaffClientFactory
from tests.unit.ivr.fakes import FakeCall


def wav_bytes(seconds: float = 0.5) -> bytes:
    samples = (np.sin(np.arange(int(8000 * seconds)) * 0.2) * 6000).astype(np.int16)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(samples.tobytes())
    return buffer.getvalue()


@pytest.mark.asyncio
async def test_admin_edits_a_prompt_and_the_next_call_hears_it(
    staff_client: StaffClientFactory, settings: Settings, engine: AsyncEngine
) -> None:
    admin = await staff_client(Role.ADMIN)
    ivr = IvrEngine(IvrServices(db=engine, clock=FakeClock(), data_dir=settings.data_dir))
    page = await admin.get("/ivr/prompts")
    assert page.status_code == 200
    assert "choose_language" in page.text
    saved = await admin.post(
        "/ivr/prompts/greeting",
        data={"zh-CN": "您好，这里是仁和医院。", "en": "Hello, this is Renhe Hospital."},
    )
    assert saved.status_code == 303
    call = FakeCall([])
    await ivr(call)
    assert call.spoken[0] == "您好，这里是仁和医院。"
    broken = await admin.post("/ivr/prompts/doctor_unknown", data={"en": "No doctor."})
    assert broken.status_code == 422
    assert "未保留花括号中的字段" in broken.text  # the page speaks the staff's language


@pytest.mark.asyncio
async def test_admin_uploads_a_recorded_prompt(
    staff_client: StaffClientFactory, settings: Settings, engine: AsyncEngine
) -> None:
    admin = await staff_client(Role.ADMIN)
    reply = await admin.post(
        "/ivr/prompts/goodbye/recording",
        data={"language": "zh-CN"},
        files={"file": ("goodbye.wav", wav_bytes(), "audio/wav")},
    )
    assert reply.status_code == 303
    assert (settings.data_dir / "prompts" / "zh-CN" / "goodbye.wav").exists()
    speech = Speaker(settings.data_dir / "cache", settings.data_dir / "prompts")
    ivr = IvrEngine(
        IvrServices(db=engine, clock=Clock(), data_dir=settings.data_dir, speech=speech)
    )
    assert ivr.recorded_prompts() == {("goodbye", "zh-CN")}
    refused = await admin.post(
        "/ivr/prompts/goodbye/recording",
        data={"language": "en"},
        files={"file": ("x.wav", b"not a wav", "audio/wav")},
    )
    assert refused.status_code == 422
    removed = await admin.post("/ivr/prompts/goodbye/recording/delete", data={"language": "zh-CN"})
    assert removed.status_code == 303
    assert ivr.recorded_prompts() == frozenset()


@pytest.mark.asyncio
async def test_supervisor_sees_call_records_without_caller_numbers(
    staff_client: StaffClientFactory, engine: AsyncEngine
) -> None:
    clock = Clock()
    async with UnitOfWork(engine) as uow:
        await save_call_record(
            uow,
            record=CallRecord(
                call_id="abc@test",
                caller="13800138000",
                started_at=clock.now(),
                ended_at=clock.now(),
                language="zh-CN",
                outcome=Outcome.TO_AGENT,
                path=("language", "main", "info"),
                keys="110",
                prompts=("greeting",),
            ),
        )
    supervisor = await staff_client(Role.SUPERVISOR)
    page = await supervisor.get("/ivr/calls")
    assert page.status_code == 200
    assert "language › main › info" in page.text
    assert "13800138000" not in page.text
    api = await supervisor.get("/api/v1/ivr/calls", params={"outcome": "to_agent"})
    assert [row["keys"] for row in api.json()] == ["110"]
    assert "caller" not in api.json()[0]
    agent = await staff_client(Role.AGENT)
    assert (await agent.get("/ivr/calls")).status_code == 403
    assert (await agent.get("/ivr/prompts")).status_code == 403
