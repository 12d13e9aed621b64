"""The doctor's inbox pages and API: listing, playback, uploaded replies, marks, settings."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import httpx
import numpy as np
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.config import Settings
from careline.db.uow import UnitOfWork
from careline.kit.clock import Clock, FakeClock
from careline.staff import service as staff_service
from careline.staff.model import Role
from careline.telephony.media import Prompt
from careline.voicemail import inbox, service
from careline.voicemail.model import MessageStatus
from careline.web.app import create_app
from tests.conftest import PASSWORD
from tests.integration.voicemail.test_doctor_inbox import MOBILE, a_doctor


def wav_bytes(rate: int, seconds: float = 0.5) -> bytes:
    samples = (np.sin(np.arange(int(rate * seconds)) * 0.2) * 8000).astype(np.int16)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(samples.tobytes())
    return buffer.getvalue()


async def signed_in(
    settings: Settings, engine: AsyncEngine, username: str, doctor_id: int | None
) -> httpx.AsyncClient:
    async with UnitOfWork(engine) as uow:
        await staff_service.create_staff(
            uow,
            username=username,
            display_name=username,
            roles=frozenset({Role.DOCTOR}),
            password=PASSWORD,
            clock=Clock(),
            doctor_id=doctor_id,
        )
    app = create_app(settings, engine, clock=Clock())
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t.test")
    reply = await http.post(
        "/api/v1/auth/sign-in", json={"username": username, "password": PASSWORD}
    )
    reply.raise_for_status()
    http.headers["Authorization"] = f"Bearer {reply.json()['token']}"
    return http


@pytest.mark.asyncio
async def test_doctor_lists_plays_replies_and_marks_done(
    settings: Settings, engine: AsyncEngine
) -> None:
    doctor_id, _ = await a_doctor(engine)
    recording = Path(settings.data_dir) / "recordings" / "voicemail" / "a.wav"
    recording.parent.mkdir(parents=True)
    recording.write_bytes(wav_bytes(8000))
    async with UnitOfWork(engine) as uow:
        left = await service.leave_message(
            uow,
            doctor_id=doctor_id,
            recording_path="recordings/voicemail/a.wav",
            caller_phone=MOBILE,
            pin="2580",
            language="zh-CN",
            clock=FakeClock(),
        )
    http = await signed_in(settings, engine, "dr.zhang", doctor_id)
    page = await http.get("/doctor/voicemail")
    assert page.status_code == 200
    assert f'data-number="{left.number}"' in page.text
    assert MOBILE not in page.text
    assert "138****8000" in page.text
    audio = await http.get(f"/doctor/voicemail/{left.id}/audio")
    assert audio.headers["content-type"] == "audio/wav"
    assert audio.content == recording.read_bytes()

    refused = await http.post(
        f"/doctor/voicemail/{left.id}/reply", files={"file": ("r.txt", b"not audio")}
    )
    assert refused.status_code == 303
    assert "error=" in refused.headers["location"]
    sent = await http.post(
        f"/doctor/voicemail/{left.id}/reply", files={"file": ("r.wav", wav_bytes(48000))}
    )
    assert sent.status_code == 303
    async with UnitOfWork(engine) as uow:
        entry = await inbox.get_doctor_message(uow, doctor_id=doctor_id, message_id=left.id)
    assert entry.message.reply_path is not None
    stored = Prompt.from_wav(Path(settings.data_dir) / entry.message.reply_path)
    assert len(stored.pcm) == pytest.approx(4000, abs=50)  # half a second at 8 kHz

    api = await http.get("/api/v1/voicemail/inbox")
    assert [m["replied"] for m in api.json()] == [True]
    assert MOBILE not in api.text
    done = await http.post(f"/api/v1/voicemail/inbox/{left.id}/status", json={"status": "done"})
    assert done.json()["status"] == MessageStatus.DONE
    assert (await http.get("/api/v1/voicemail/inbox")).json() == []
    await http.aclose()


@pytest.mark.asyncio
async def test_other_doctors_and_unlinked_accounts_are_kept_out(
    settings: Settings, engine: AsyncEngine
) -> None:
    doctor_id, _ = await a_doctor(engine)
    other_id, _ = await a_doctor(engine, "3003")
    async with UnitOfWork(engine) as uow:
        left = await service.leave_message(
            uow,
            doctor_id=doctor_id,
            recording_path="recordings/voicemail/a.wav",
            caller_phone=None,
            pin="2580",
            language="zh-CN",
            clock=FakeClock(),
        )
    other = await signed_in(settings, engine, "dr.other", other_id)
    assert (await other.get(f"/doctor/voicemail/{left.id}/audio")).status_code == 404
    unlinked = await signed_in(settings, engine, "dr.unlinked", None)
    assert (await unlinked.get("/api/v1/voicemail/inbox")).status_code == 403
    await other.aclose()
    await unlinked.aclose()


@pytest.mark.asyncio
async def test_box_settings_page_saves_and_sets_a_pin(
    settings: Settings, engine: AsyncEngine
) -> None:
    doctor_id, _ = await a_doctor(engine)
    http = await signed_in(settings, engine, "dr.zhang", doctor_id)
    form = {
        "greeting_text": "我是张医生，请留言。",
        "max_message_seconds": "90",
        "accepting": "1",
        "notify_by": "sms",
        "notify_to": "13900139000",
        "pin": "246810",
    }
    saved = await http.post(
        "/doctor/voicemail/settings",
        data=form,
        files={"greeting_file": ("hello.wav", wav_bytes(16000))},
    )
    assert saved.status_code == 200
    assert 'id="saved"' in saved.text
    assert 'id="greeting-audio"' in saved.text
    again = await http.post("/doctor/voicemail/settings", data={**form, "pin": ""})
    assert 'id="greeting-audio"' in again.text  # saving without a file keeps the recording
    greeting = await http.get("/doctor/voicemail/settings/greeting")
    assert greeting.headers["content-type"] == "audio/wav"
    bad = await http.post("/doctor/voicemail/settings", data={**form, "max_message_seconds": "5"})
    assert bad.status_code == 422
    async with UnitOfWork(engine) as uow:
        box = await inbox.get_box(uow, doctor_id=doctor_id)
        doctor = await inbox.sign_in_doctor(uow, doctor_number="2002", pin="246810")
    assert (box.greeting_text, box.max_message_seconds, box.has_pin) == (
        "我是张医生，请留言。",
        90,
        True,
    )
    assert doctor.id == doctor_id
    await http.aclose()
