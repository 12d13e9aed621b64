"""Screen pop latency: from a caller's INVITE to the patient card drawn in the agent's browser.

One process runs what ``careline serve`` runs (web app, ACD centre, voice server) on a fresh
SQLite database, with an entry flow that hands every call straight to the queue (the IVR's
own time is not what is measured). 50 agents are signed in at their desks: one in Chromium
(Playwright) on queue ``general`` with a baresip phone registered as 1001 (auto-answer), 49
over WebSocket clients on queue ``other`` (they receive every state and queue event, as real
desks do). A baresip caller whose number belongs to a patient then places ``--calls`` calls;
for each, the time from the dial command (baresip sends the INVITE at once on loopback) to
the moment a MutationObserver sees the patient card inserted is read on the same wall clock.

    .venv/bin/python bench/screen_pop.py --calls 40 --agents 50

Needs the Debian packages baresip-core and chromium.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import uvicorn
import uvloop
import websockets
from playwright.async_api import async_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for tests.support.baresip

from tests.support.baresip import Baresip, free_port, free_port_range, write_wav  # noqa: E402

import careline.tables  # noqa: E402, F401
from careline.acd.runtime import start_acd  # noqa: E402
from careline.bootstrap import Careline  # noqa: E402
from careline.config import Settings  # noqa: E402
from careline.db.engine import make_engine  # noqa: E402
from careline.db.metadata import metadata  # noqa: E402
from careline.kit.clock import Clock  # noqa: E402
from careline.patients import service as patients  # noqa: E402
from careline.patients.validation import PatientInput  # noqa: E402
from careline.staff import service as staff_service  # noqa: E402
from careline.staff.extensions import set_extension  # noqa: E402
from careline.staff.model import Role  # noqa: E402
from careline.telephony.calls import Call  # noqa: E402
from careline.telephony.runtime import DatabaseExtensionDirectory  # noqa: E402
from careline.telephony.server import VoiceServer  # noqa: E402
from careline.web.app import create_app  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "bench-password-1"
SIP_PASSWORD = "bench-sip-pass-1"
CODECS = "audio_codecs=PCMA/8000/1,PCMU/8000/1"
OBSERVER = """
window.cardTimes = [];
new MutationObserver(() => {
  const card = document.querySelector('#pop .patient-card');
  if (card && !card.dataset.seen) {
    card.dataset.seen = '1';
    window.cardTimes.push(performance.timeOrigin + performance.now());
  }
}).observe(document.getElementById('pop'), {childList: true, subtree: true});
"""


async def seed(careline: Careline, agents: int) -> list[str]:
    """Agents (the first with extension 1001), one patient for the caller; return tokens."""
    tokens = []
    clock = Clock()
    async with careline.uow() as uow:
        await patients.register_patient(
            uow, data=PatientInput(name="王小明", phones=[("13800000000", "mobile")]), staff_id=None
        )
    for n in range(agents):
        async with careline.uow() as uow:
            staff = await staff_service.create_staff(
                uow,
                username=f"agent{n}",
                display_name=f"Agent {n}",
                roles=frozenset({Role.AGENT}),
                password=PASSWORD,
                clock=clock,
            )
        if n == 0:
            async with careline.uow() as uow:
                await set_extension(
                    uow, staff_id=staff.id, extension="1001", password=SIP_PASSWORD, clock=clock
                )
        async with careline.uow() as uow:
            signed = await staff_service.sign_in(
                uow,
                username=f"agent{n}",
                password=PASSWORD,
                clock=clock,
                max_attempts=5,
                lock_minutes=15,
                session_hours=12,
            )
        tokens.append(signed.token)
    return tokens


async def other_desk(url: str, token: str, stop: asyncio.Event) -> None:
    """A desk on another queue: signs in, gets ready, reads every event it is sent."""
    headers = {"Cookie": f"careline_session={token}"}
    async with websockets.connect(url, additional_headers=headers) as ws:
        await ws.send(json.dumps({"action": "sign_in", "queues": ["other"]}))
        await ws.send(json.dumps({"action": "ready"}))
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.5):
                    await ws.recv()


async def wait_for(page: Any, expression: str, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = await page.evaluate(expression)
        if value:
            return value
        await asyncio.sleep(0.05)
    raise TimeoutError(expression)


async def main(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="careline-screen-pop-"))
    http_port = free_port(socket.SOCK_STREAM)
    settings = Settings(
        data_dir=work,
        database_url=f"sqlite+aiosqlite:///{work / 'careline.db'}",
        http_port=http_port,
        acd_wrap_up_seconds=0,
        acd_record_calls=False,
    )
    engine = make_engine(settings.database_url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    careline = Careline(settings, engine, Clock())
    tokens = await seed(careline, args.agents)
    app = create_app(settings, engine, clock=careline.clock)
    acd = start_acd(careline, app)
    stamps: dict[str, list[float]] = {"CallQueued": [], "CallOffered": []}

    def stamp(event: object) -> None:
        if type(event).__name__ in stamps:
            stamps[type(event).__name__].append(time.time() * 1000)

    acd.center.bus.subscribe(stamp)
    web = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=http_port, log_level="warning", lifespan="on")
    )
    web_task = asyncio.get_running_loop().create_task(web.serve())

    async def to_queue(call: Call) -> None:
        await call.answer()
        await call.transfer_to_queue("general")

    low, high = free_port_range(40)
    voice = VoiceServer(
        host="127.0.0.1",
        port=0,
        rtp_port_min=low,
        rtp_port_max=high,
        entry_flow=to_queue,
        extensions=DatabaseExtensionDirectory(careline),
        queue=acd.queue,
    )
    await voice.start()
    while not web.started:
        await asyncio.sleep(0.05)
    stop = asyncio.Event()
    ws_url = f"ws://127.0.0.1:{http_port}/desk/ws"
    others = [asyncio.ensure_future(other_desk(ws_url, t, stop)) for t in tokens[1:]]
    silence = write_wav(work / "silence.wav", np.zeros(8000 * 600, dtype=np.int16))
    agent_phone = Baresip(
        work,
        f"<sip:1001@127.0.0.1:{voice.port}>;auth_pass={SIP_PASSWORD};regint=600;"
        f"answermode=auto;{CODECS}",
        silence,
        name="agent",
    )
    caller = Baresip(work, f"<sip:13800000000@127.0.0.1>;regint=0;{CODECS}", silence, name="caller")
    latencies: list[float] = []
    sent_at: list[float] = []
    drawn_at: list[float] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        context = await browser.new_context()
        await context.add_cookies(
            [
                {
                    "name": "careline_session",
                    "value": tokens[0],
                    "url": f"http://127.0.0.1:{http_port}",
                }
            ]
        )
        page = await context.new_page()
        await page.goto(f"http://127.0.0.1:{http_port}/desk?lang=en")
        await page.evaluate(OBSERVER)
        await wait_for(page, "document.getElementById('connection').textContent === 'Connected'")
        await page.click("#sign-in")
        await page.click("#ready")
        await wait_for(page, "document.getElementById('strip').dataset.status === 'available'")
        await agent_phone.start()
        await caller.start()
        assert await agent_phone.registration() == "OK"
        for n in range(args.calls):
            caller.events.clear()
            agent_phone.events.clear()
            sent = time.time() * 1000
            await caller.dial(f"sip:100@127.0.0.1:{voice.port}")
            drawn = await wait_for(page, f"window.cardTimes.length > {n} && window.cardTimes[{n}]")
            latencies.append(drawn - sent)
            sent_at.append(sent)
            drawn_at.append(drawn)
            await agent_phone.wait_event("CALL_ESTABLISHED", timeout=20)
            await asyncio.sleep(0.3)
            await caller.hangup()
            await agent_phone.wait_event("CALL_CLOSED", timeout=20)
            await wait_for(page, "document.getElementById('strip').dataset.status === 'available'")
            await asyncio.sleep(0.2)
        await browser.close()
    stop.set()
    await asyncio.gather(*others, return_exceptions=True)
    await caller.stop()
    await agent_phone.stop()
    await voice.stop()
    await acd.stop()
    web.should_exit = True
    await web_task
    await engine.dispose()

    def p(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return round(ordered[min(len(ordered) - 1, int(len(ordered) * q))], 1)

    queued = [q - s for q, s in zip(stamps["CallQueued"], sent_at, strict=False)]
    offered = [o - q for o, q in zip(stamps["CallOffered"], stamps["CallQueued"], strict=False)]
    popped = [d - o for d, o in zip(drawn_at, stamps["CallOffered"], strict=False)]
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    report = {
        "invite_to_queued_p50_p99_ms": [p(queued, 0.5), p(queued, 0.99)],
        "queued_to_offered_p50_p99_ms": [p(offered, 0.5), p(offered, 0.99)],
        "offered_to_card_p50_p99_ms": [p(popped, 0.5), p(popped, 0.99)],
        "agents_signed_in": args.agents,
        "calls": len(latencies),
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(p99, 1),
        "max_ms": round(latencies[-1], 1),
        "goal_p99_ms": 150,
    }
    print(json.dumps(report))  # noqa: T201 - the bench's result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=40)
    parser.add_argument("--agents", type=int, default=50)
    uvloop.run(main(parser.parse_args()))
