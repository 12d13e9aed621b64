"""The phone line of a real ``careline serve``: staff extensions from the database, the demo line.

An admin made with the CLI gives an agent an extension through the REST API; the agent's
baresip registers with that SIP password (accepted) and with a wrong one (refused). A
baresip caller dials the server's SIP port, hears the spoken greeting, keys a digit and
hears it read back.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
import uvloop

from careline.speech.speaker import Speaker
from careline.telephony.flows.demo import GREETING, YOU_PRESSED
from tests.integration.telephony.phones import caller_account, extension_account, phone
from tests.support.baresip import Baresip, free_port_range
from tests.support.server import RunningServer, careline_server

pytestmark = pytest.mark.sip
ADMIN_PASSWORD = "admin-password-1"
AGENT_PASSWORD = "agent-password-1"
SIP_PASSWORD = "softphone-2001"
FRAME = 160  # 20 ms at 8 kHz


@contextlib.contextmanager
def _api(server: RunningServer, username: str, password: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=60) as http:
        body = {"username": username, "password": password}
        reply = http.post("/api/v1/auth/sign-in", json=body)
        reply.raise_for_status()
        http.headers["Authorization"] = f"Bearer {reply.json()['token']}"
        yield http


def _give_agent_an_extension(server: RunningServer) -> None:
    added = server.cli("user", "add", "admin1", "--role", "admin", stdin=ADMIN_PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    with _api(server, "admin1", ADMIN_PASSWORD) as admin:
        agent = admin.post(
            "/api/v1/staff",
            json={
                "username": "agent1",
                "display_name": "Agent One",
                "roles": ["agent"],
                "password": AGENT_PASSWORD,
            },
        )
        assert agent.status_code == 201, agent.text
        reply = admin.put(
            f"/api/v1/staff/{agent.json()['id']}/extension",
            json={"extension": "2001", "password": SIP_PASSWORD},
        )
        assert reply.status_code == 200, reply.text
    with _api(server, "agent1", AGENT_PASSWORD) as own:
        assert own.get("/api/v1/staff/me/extension").json()["extension"] == "2001"


def _voiced(pcm: np.ndarray) -> np.ndarray:
    """Return one flag per 20 ms frame: True where something is audible."""
    frames = pcm[: len(pcm) // FRAME * FRAME].astype(np.float64).reshape(-1, FRAME)
    loud: np.ndarray = np.sqrt((frames**2).mean(axis=1)) > 300.0
    return loud


async def _prompts(cache: Path) -> tuple[np.ndarray, np.ndarray]:
    """Synthesise the greeting and the read-back of 5 into the server's speech cache."""
    speaker = Speaker(cache)
    greeting = await speaker.render(GREETING["zh-CN"], "zh-CN")
    read_back = await speaker.render(YOU_PRESSED["zh-CN"].format(digit="5"), "zh-CN")
    return np.array(greeting), np.array(read_back)


def _heard_so_far(caller: Baresip) -> np.ndarray:
    """Return what the phone has recorded of the current call (the WAV is still open)."""
    files = sorted(caller.snd_dir.glob("*dec*.wav"), key=lambda p: p.stat().st_mtime)
    if not files:
        return np.zeros(0, dtype=np.int16)
    data = files[-1].read_bytes()[44:]  # skip the PCM WAV header; its sizes come at close
    return np.frombuffer(data[: len(data) // 2 * 2], dtype="<i2")


async def _until_heard(caller: Baresip, seconds_after_sound: float, timeout: float) -> int:
    """Wait until the recording runs ``seconds_after_sound`` past its first sound."""
    async with asyncio.timeout(timeout):
        while True:
            voiced = np.flatnonzero(_voiced(_heard_so_far(caller)))
            recorded = len(_heard_so_far(caller))
            if len(voiced) and recorded >= (voiced[0] * 0.02 + seconds_after_sound) * 8000:
                return recorded
            await asyncio.sleep(0.1)


def _match(heard: np.ndarray, prompt: np.ndarray) -> tuple[float, float]:
    """Return (start second, normalised correlation) of the prompt's best match in heard."""
    size = 1 << int(len(heard) + len(prompt)).bit_length()
    spectrum = np.fft.rfft(heard.astype(np.float64), size)
    kernel = np.conj(np.fft.rfft(prompt.astype(np.float64), size))
    scores = np.fft.irfft(spectrum * kernel, size)[: len(heard) - len(prompt) + 1]
    lag = int(np.argmax(np.abs(scores)))
    piece = heard[lag : lag + len(prompt)].astype(np.float64)
    reference = prompt.astype(np.float64)
    norm = np.sqrt(np.dot(piece, piece) * np.dot(reference, reference)) or 1.0
    return lag / 8000, float(np.dot(piece, reference) / norm)


async def _registrations(tmp_path: Path, sip_port: int) -> tuple[str, str]:
    good = extension_account("2001", SIP_PASSWORD, sip_port)
    bad = extension_account("2001", "not-the-password", sip_port)
    async with phone(tmp_path, "agent", good, np.zeros(8000)) as agent:
        accepted = await agent.registration()
    async with phone(tmp_path, "intruder", bad, np.zeros(8000)) as intruder:
        # baresip retries the wrong password until Careline blocks 127.0.0.1 for repeated
        # failed logins and drops its requests; the phone then reports the registration
        # failed once its transaction times out (Timer F, 32 s).
        refused = await intruder.registration(timeout=60)
    return accepted, refused


async def _call_demo_line(
    tmp_path: Path, sip_port: int, greeting: float, read_back: float
) -> np.ndarray:
    async with phone(tmp_path, "caller", caller_account(), np.zeros(8000 * 60)) as caller:
        await caller.dial(f"sip:100@127.0.0.1:{sip_port}")
        await caller.wait_event("CALL_ESTABLISHED", timeout=20)
        # Key only once the whole greeting was heard: a key during it cuts it short.
        await _until_heard(caller, greeting + 0.5, timeout=60)
        await caller.send_digits("5")
        await _until_heard(caller, greeting + 0.5 + read_back + 1.5, timeout=60)
        await caller.hangup()
        await caller.wait_event("CALL_CLOSED")
    return caller.heard()


def test_extension_registers_with_its_database_password_and_caller_hears_demo_line(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    # Rendered into the server's own speech cache, so the call does not wait for espeak-ng.
    greeting, read_back = uvloop.run(_prompts(data_dir / "speech-cache"))
    low, high = free_port_range(40)
    with careline_server(
        data_dir,
        voice=True,
        CARELINE_SIP_HOST="127.0.0.1",
        CARELINE_RTP_PORT_MIN=str(low),
        CARELINE_RTP_PORT_MAX=str(high),
        CARELINE_LANGUAGE="zh-CN",
    ) as server:
        sip_port = int(server.env["CARELINE_SIP_PORT"])
        _give_agent_an_extension(server)
        # The call goes first: the wrong password counts as a failed login for 127.0.0.1.
        heard = uvloop.run(
            _call_demo_line(tmp_path, sip_port, len(greeting) / 8000, len(read_back) / 8000)
        )
        accepted, refused = uvloop.run(_registrations(tmp_path, sip_port))

    assert accepted == "OK"
    assert refused == "ERR"

    # Not silence, and plausible: the greeting, then the read-back, each heard whole
    # (G.711 keeps the waveform, so each correlates closely with its synthesis).
    greeting_at, greeting_match = _match(heard, greeting)
    read_back_at, read_back_match = _match(heard, read_back)
    assert greeting_match > 0.9
    assert read_back_match > 0.9
    assert read_back_at >= greeting_at + len(greeting) / 8000
    assert len(heard) / 8000 >= read_back_at + len(read_back) / 8000
    assert _voiced(heard).sum() * 0.02 > 0.6 * (len(greeting) + len(read_back)) / 8000
