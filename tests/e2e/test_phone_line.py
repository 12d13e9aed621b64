"""The phone line of a real ``careline serve``: staff extensions from the database, the IVR.

An admin made with the CLI gives an agent an extension through the REST API; the agent's
baresip registers with that SIP password (accepted) and with a wrong one (refused). A
baresip caller dials the server's SIP port, hears the greeting and the language menu, keys
1 for Chinese and hears the main menu; the call record tells what was played.
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

from tests.integration.telephony.phones import caller_account, extension_account, phone
from tests.support.baresip import Baresip
from tests.support.ports import free_port_range
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


async def _call_the_line(tmp_path: Path, sip_port: int) -> np.ndarray:
    async with phone(tmp_path, "caller", caller_account(), np.zeros(8000 * 90)) as caller:
        await caller.dial(f"sip:100@127.0.0.1:{sip_port}")
        await caller.wait_event("CALL_ESTABLISHED", timeout=20)
        # The greeting and the language menu first; a key would cut them short.
        await _until_heard(caller, 6.0, timeout=90)
        await caller.send_digits("1")
        heard_before_menu = len(_heard_so_far(caller))
        await _until_heard(caller, heard_before_menu / 8000 + 4.0, timeout=90)
        await caller.hangup()
        await caller.wait_event("CALL_CLOSED")
    return caller.heard()


def _call_records(server: RunningServer) -> list[dict[str, object]]:
    added = server.cli("user", "add", "super1", "--role", "supervisor", stdin="super-password-1\n")
    assert added.returncode == 0, added.stderr
    with _api(server, "super1", "super-password-1") as supervisor:
        reply = supervisor.get("/api/v1/ivr/calls")
        reply.raise_for_status()
        records: list[dict[str, object]] = reply.json()
        return records


def test_extension_registers_with_its_database_password_and_caller_walks_the_ivr(
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
        CARELINE_LANGUAGE="zh-CN",
    ) as server:
        sip_port = int(server.env["CARELINE_SIP_PORT"])
        _give_agent_an_extension(server)
        # The call goes first: the wrong password counts as a failed login for 127.0.0.1.
        heard = uvloop.run(_call_the_line(tmp_path, sip_port))
        accepted, refused = uvloop.run(_registrations(tmp_path, sip_port))
        records = _call_records(server)
        metrics = httpx.get(f"{server.url}/metrics", timeout=10).text

    assert accepted == "OK"
    assert refused == "ERR"
    (record,) = records
    assert record["keys"] == "1"
    assert record["language"] == "zh-CN"
    assert record["outcome"] == "abandoned"
    prompts = record["prompts"]
    assert isinstance(prompts, list)
    assert prompts.index("choose_language") < prompts.index("main_menu")
    # Not silence: several seconds of speech reached the phone, before and after the key.
    assert _voiced(heard).sum() * 0.02 > 6.0
    # The operator's view of the same line.
    assert 'careline_voice_calls_started_total{direction="inbound",line="phone"} 1.0' in metrics
    assert 'careline_voice_calls_ended_total{line="phone",reason="hangup"} 1.0' in metrics
    assert 'careline_voice_calls_active{line="phone"} 0.0' in metrics
