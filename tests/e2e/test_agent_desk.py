"""A patient calls, presses 0 and reaches agent 1001, whose desk shows who is calling.

A real ``careline serve`` answers; a baresip caller (whose number belongs to a registered
patient) presses 0 in the IVR; a second baresip registered as extension 1001 auto-answers;
Playwright in Chromium, signed in as that agent on /desk, shows the screen pop with the right
patient before the phone is answered. Audio flows both ways; the call record and recording
exist; the supervisor's wallboard counts the call and plays the recording; the CSV export
lists it. Then, with the agent paused, a second caller presses 0 and 1 and leaves a callback
number: when the agent becomes ready, the desk offers that callback.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvloop
from playwright.sync_api import Page, expect

from tests.integration.telephony.phones import caller_account, extension_account, frames_with, phone
from tests.support.baresip import tone
from tests.support.browser import chromium
from tests.support.ports import free_port_range
from tests.support.server import RunningServer, careline_server

pytestmark = pytest.mark.sip
ADMIN_PASSWORD = "admin-password-1"
AGENT_PASSWORD = "agent-password-1"
SUPER_PASSWORD = "super-password-1"
SIP_PASSWORD = "softphone-1001"
CALLER_HZ = 600.0
AGENT_HZ = 1100.0
PATIENT = "王小明"


@contextlib.contextmanager
def _api(server: RunningServer, username: str, password: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=60) as http:
        reply = http.post("/api/v1/auth/sign-in", json={"username": username, "password": password})
        reply.raise_for_status()
        http.headers["Authorization"] = f"Bearer {reply.json()['token']}"
        yield http


def _prepare(server: RunningServer) -> int:
    """Admin, agent 1001 with an extension, a supervisor, and the caller's patient record."""
    added = server.cli("user", "add", "admin1", "--role", "admin", stdin=ADMIN_PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    with _api(server, "admin1", ADMIN_PASSWORD) as admin:
        for username, role, password in (
            ("agent1", "agent", AGENT_PASSWORD),
            ("super1", "supervisor", SUPER_PASSWORD),
        ):
            body = {
                "username": username,
                "display_name": username,
                "roles": [role],
                "password": password,
            }
            made = admin.post("/api/v1/staff", json=body)
            assert made.status_code == 201, made.text
            if username == "agent1":
                reply = admin.put(
                    f"/api/v1/staff/{made.json()['id']}/extension",
                    json={"extension": "1001", "password": SIP_PASSWORD},
                )
                assert reply.status_code == 200, reply.text
        patient = admin.post(
            "/api/v1/patients",
            json={"name": PATIENT, "phones": [{"number": "13800000000"}]},
        )
        assert patient.status_code == 201, patient.text
        return int(patient.json()["id"])


def _sign_in(page: Page, server: RunningServer, username: str, password: str) -> None:
    page.goto(f"{server.url}/staff/sign-in?lang=en")
    page.fill("#f-username", username)
    page.fill("#f-password", password)
    page.click("#sign-in-form button[type=submit]")
    page.wait_for_load_state()


class Phones:
    """The phones run on their own uvloop in a thread; the browser stays synchronous."""

    def __init__(self, tmp_path: Path, sip_port: int) -> None:
        self.tmp_path = tmp_path
        self.sip_port = sip_port
        self.result: dict[str, Any] = {}
        self.error: BaseException | None = None
        self.agent_registered = threading.Event()
        self.go = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, scenario: str) -> None:
        self._thread = threading.Thread(target=self._run, args=(scenario,), daemon=True)
        self._thread.start()

    def join(self, timeout: float = 120.0) -> dict[str, Any]:
        assert self._thread is not None
        self._thread.join(timeout)
        if self.error is not None:
            raise self.error
        return self.result

    def _run(self, scenario: str) -> None:
        try:
            uvloop.run(getattr(self, scenario)())
        except BaseException as exc:  # noqa: BLE001 - reported to the test's thread
            self.error = exc
            self.agent_registered.set()

    async def answered_call(self) -> None:
        account = extension_account("1001", SIP_PASSWORD, self.sip_port)
        async with (
            phone(self.tmp_path, "agent", account, tone(AGENT_HZ, 60.0)) as agent,
            phone(self.tmp_path, "caller", caller_account(), tone(CALLER_HZ, 60.0)) as caller,
        ):
            self.result["registered"] = await agent.registration()
            self.agent_registered.set()
            await asyncio.to_thread(self.go.wait, 60)
            await caller.dial(f"sip:100@127.0.0.1:{self.sip_port}")
            await caller.wait_event("CALL_ESTABLISHED", timeout=20)
            await asyncio.sleep(2.0)
            await caller.send_digits("0")
            await agent.wait_event("CALL_ESTABLISHED", timeout=60)
            await asyncio.sleep(3.0)
            await caller.hangup()
            await agent.wait_event("CALL_CLOSED")
        self.result["agent_heard"] = agent.heard()
        self.result["caller_heard"] = caller.heard()

    async def callback_call(self) -> None:
        async with phone(
            self.tmp_path, "caller2", caller_account(), tone(CALLER_HZ, 90.0)
        ) as caller:
            await caller.dial(f"sip:100@127.0.0.1:{self.sip_port}")
            await caller.wait_event("CALL_ESTABLISHED", timeout=20)
            await asyncio.sleep(2.0)
            await caller.send_digits("0")
            await asyncio.sleep(12.0)  # transfer notice and recording notice
            await caller.send_digits("1")
            await asyncio.sleep(8.0)  # "enter the number"
            await caller.send_digits("13900001111#", gap=0.3)
            await caller.wait_event("CALL_CLOSED", timeout=40)


def test_agent_desk_pops_the_patient_then_the_call_is_recorded_and_counted(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    low, high = free_port_range(40)
    with careline_server(
        data_dir,
        voice=True,
        CARELINE_SIP_HOST="127.0.0.1",
        CARELINE_RTP_PORT_MIN=str(low),
        CARELINE_RTP_PORT_MAX=str(high),
        CARELINE_ACD_WRAP_UP_SECONDS="0",
    ) as server:
        patient_id = _prepare(server)
        phones = Phones(tmp_path, int(server.env["CARELINE_SIP_PORT"]))
        with chromium() as browser:
            desk = browser.new_page()
            _sign_in(desk, server, "agent1", AGENT_PASSWORD)
            desk.goto(f"{server.url}/desk?lang=en")
            expect(desk.locator("#connection")).to_have_text("Connected", timeout=10_000)
            desk.click("#sign-in")
            expect(desk.locator("#strip")).to_have_attribute("data-status", "paused")
            desk.click("#ready")
            expect(desk.locator("#strip")).to_have_attribute("data-status", "available")

            phones.start("answered_call")
            assert phones.agent_registered.wait(30)
            phones.go.set()
            card = desk.locator(f".pop .patient-card[data-patient-id='{patient_id}']")
            expect(card).to_be_visible(timeout=60_000)
            expect(card.locator(".patient-name")).to_have_text(PATIENT)
            expect(desk.locator(".pop .caller")).to_have_text("13800000000")
            expect(desk.locator(".pop")).to_have_attribute("data-phase", "ended", timeout=60_000)
            heard = phones.join()
            log = desk.evaluate("window.deskLog")
            desk.select_option(".pop form.wrap-up select[name=code]", "information")
            desk.fill(".pop form.wrap-up textarea[name=notes]", "asked about clinic hours")
            desk.click(".pop form.wrap-up button[type=submit]")
            expect(desk.locator("#notice")).to_have_text("Wrap-up saved.")

            board = browser.new_page()
            _sign_in(board, server, "super1", SUPER_PASSWORD)
            board.goto(f"{server.url}/wallboard?lang=en")
            row = board.locator("#queue-board tr[data-queue='general']")
            expect(row.locator(".answered")).to_have_text("1")
            expect(row.locator(".abandoned")).to_have_text("0")
            audio = board.locator("#recordings audio")
            expect(audio).to_have_count(1)
            src = audio.get_attribute("src")
            wav = board.request.get(f"{server.url}{src}")
            wav_type, wav_body = wav.headers["content-type"], wav.body()
            csv_text = board.request.get(f"{server.url}/wallboard/calls.csv").text()

            # No agent free: the next caller leaves a callback number.
            desk.click("#pause")
            expect(desk.locator("#strip")).to_have_attribute("data-status", "paused")
            second = Phones(tmp_path, phones.sip_port)
            second.start("callback_call")
            second.join(120)
            desk.click("#ready")
            offer = desk.locator(".callback .callback-number")
            expect(offer).to_have_text("13900001111", timeout=15_000)
            expect(desk.locator("#strip")).to_have_attribute("data-status", "paused")

    assert heard["registered"] == "OK"
    assert frames_with(heard["agent_heard"], CALLER_HZ) >= 40
    assert frames_with(heard["caller_heard"], AGENT_HZ) >= 40
    # The card was drawn while the phone rang: the pop came before the answer.
    assert log.index("pop") < log.index("answered")
    assert wav.status == 200
    assert wav_type == "audio/wav"
    assert len(wav_body) > 8000  # more than half a second of audio
    lines = csv_text.strip().splitlines()
    assert len(lines) == 2
    assert ",answered,information,asked about clinic hours," in lines[1]
    assert "13800000000" not in csv_text
