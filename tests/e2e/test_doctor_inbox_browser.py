"""A doctor works the voicemail inbox in Chromium: plays a message, replies by file and by
the browser's microphone, and marks the message done."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import Page, expect, sync_playwright

from careline.db.engine import make_engine
from careline.db.uow import UnitOfWork
from careline.directory import service as directory
from careline.kit.clock import Clock
from careline.staff import service as staff_service
from careline.staff.model import Role
from careline.telephony.media import Prompt
from careline.telephony.media.prompt import write_wav
from careline.voicemail import inbox
from careline.voicemail import service as voicemail
from careline.voicemail.model import VoiceMessage
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.server import RunningServer, careline_server
from tests.unit.ivr.fakes import seed_hospital

pytestmark = pytest.mark.browser
PASSWORD = "doctor-e2e-password"
CALLER = "+8613800138000"
# A fake microphone so MediaRecorder has something to record.
MEDIA_ARGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


def seed(data_dir: Path) -> tuple[int, list[VoiceMessage]]:
    async def go() -> tuple[int, list[VoiceMessage]]:
        engine = make_engine(f"sqlite+aiosqlite:///{(data_dir / 'careline.db').resolve()}")
        try:
            await seed_hospital(engine)
            left = []
            async with UnitOfWork(engine) as uow:
                doctor = await directory.doctor_by_number(uow, doctor_number="1001")
                await staff_service.create_staff(
                    uow,
                    username="dr.li",
                    display_name="李明",
                    roles=frozenset({Role.DOCTOR}),
                    password=PASSWORD,
                    clock=Clock(),
                    doctor_id=doctor.id,
                )
                for name in ("first", "second"):
                    tone = (np.sin(np.arange(16000) * 0.3) * 6000).astype(np.int16)
                    write_wav(data_dir / "recordings" / "voicemail" / f"{name}.wav", tone)
                    left.append(
                        await voicemail.leave_message(
                            uow,
                            doctor_id=doctor.id,
                            recording_path=f"recordings/voicemail/{name}.wav",
                            caller_phone=CALLER,
                            pin="2580",
                            language="zh-CN",
                            clock=Clock(),
                        )
                    )
            return doctor.id, left
        finally:
            await engine.dispose()

    return asyncio.run(go())


def message_state(data_dir: Path, doctor_id: int) -> list[VoiceMessage]:
    async def go() -> list[VoiceMessage]:
        engine = make_engine(f"sqlite+aiosqlite:///{(data_dir / 'careline.db').resolve()}")
        try:
            async with UnitOfWork(engine) as uow:
                entries = await inbox.list_inbox(uow, doctor_id=doctor_id, include_done=True)
            return [e.message for e in entries]
        finally:
            await engine.dispose()

    return asyncio.run(go())


def plays(page: Page, selector: str) -> float:
    """Start an audio element and return how far it got (seconds) once it has ended."""
    page.locator(selector).scroll_into_view_if_needed()
    page.click("h1")  # a user gesture, so the page may start audio
    return float(
        page.evaluate(
            """async (selector) => {
                const audio = document.querySelector(selector);
                audio.muted = true;
                await audio.play();
                await new Promise((done) => audio.addEventListener("ended", done, { once: true }));
                return audio.duration;
            }""",
            selector,
        )
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    data_dir: Path = tmp_path_factory.mktemp("careline-doctor-inbox")
    with careline_server(data_dir) as running:
        yield running


def test_doctor_plays_replies_and_finishes_messages(server: RunningServer) -> None:
    doctor_id, (first, second) = seed(server.data_dir)
    upload = server.data_dir / "reply-upload.wav"
    write_wav(upload, (np.sin(np.arange(12000) * 0.2) * 6000).astype(np.int16))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS + MEDIA_ARGS
        )
        page = browser.new_page()
        page.goto(f"{server.url}/staff/sign-in")
        page.fill("#f-username", "dr.li")
        page.fill("#f-password", PASSWORD)
        page.click("#sign-in-form button[type=submit]")
        page.goto(f"{server.url}/doctor/voicemail?lang=en")
        expect(page.locator(f"#message-{first.id}")).to_be_visible()
        assert CALLER not in page.content()
        assert plays(page, f"#message-{first.id} .message-audio") == pytest.approx(2.0, abs=0.1)

        page.set_input_files(f"#message-{first.id} input[type=file]", str(upload))
        page.click(f"#message-{first.id} .reply-form button[type=submit]")
        expect(page.locator(f"#message-{first.id} .reply-audio")).to_be_visible()
        assert plays(page, f"#message-{first.id} .reply-audio") == pytest.approx(1.5, abs=0.1)

        page.click(f"#message-{second.id} .record-start")
        expect(page.locator(f"#message-{second.id} .record-stop")).to_be_enabled()
        page.wait_for_timeout(1500)
        page.click(f"#message-{second.id} .record-stop")
        expect(page.locator(f"#message-{second.id} .reply-audio")).to_be_visible(timeout=15000)

        page.click(f"#message-{first.id} .mark-done")
        expect(page.locator(f"#message-{first.id}")).to_have_count(0)
        browser.close()
    by_id = {m.id: m for m in message_state(server.data_dir, doctor_id)}
    assert by_id[first.id].status.value == "done"
    for message in by_id.values():
        assert message.reply_path is not None
        reply = Prompt.from_wav(server.data_dir / message.reply_path)  # 8 kHz mono for the phone
        assert len(reply.pcm) > 4000
