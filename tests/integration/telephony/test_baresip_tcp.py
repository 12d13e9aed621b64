"""SIP over TCP: a caller on TCP reaches the flow; an extension registered on TCP is rung."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest
import uvloop

from careline.telephony.calls import Call, DialOutcome
from careline.telephony.outbound import DialStatus
from tests.integration.telephony.phones import CODECS, frames_with, phone, prompt, voice_server
from tests.support.baresip import tone

pytestmark = pytest.mark.sip


def test_caller_on_tcp_hears_the_greeting_and_its_digits_arrive(tmp_path: Path) -> None:
    received: list[str] = []
    heard: list[np.ndarray] = []

    async def flow(call: Call) -> None:
        await call.answer()
        await call.play(prompt(tone(440.0, 0.8)), barge_in=False)
        received.append(await call.collect(max_digits=2, timeout=5.0))
        await call.hangup()

    async def scenario() -> None:
        account = f"<sip:13800000000@127.0.0.1;transport=tcp>;regint=0;{CODECS}"
        async with (
            voice_server(flow) as server,
            phone(tmp_path, "caller", account, np.zeros(8000 * 6)) as caller,
        ):
            await caller.dial(f"sip:100@127.0.0.1:{server.port};transport=tcp")
            await caller.wait_event("CALL_ESTABLISHED")
            await asyncio.sleep(1.0)
            await caller.send_digits("58")
            await caller.wait_event("CALL_CLOSED", timeout=8)
        heard.append(caller.heard())

    uvloop.run(scenario())
    assert received == ["58"]
    assert frames_with(heard[0], 440.0) >= 30


def test_extension_registered_over_tcp_is_rung_over_tcp(tmp_path: Path) -> None:
    outcomes: list[DialOutcome] = []

    async def idle(call: Call) -> None:
        await call.wait_ended()

    async def scenario() -> None:
        async with voice_server(idle, extensions={"2002": "tcp-pw"}) as server:
            account = (
                f"<sip:2002@127.0.0.1:{server.port};transport=tcp>;auth_pass=tcp-pw;"
                f"regint=60;answermode=auto;{CODECS}"
            )
            async with phone(tmp_path, "agent", account, tone(700.0, 5.0)) as agent:
                assert await agent.registration() == "OK"
                binding = server.registrar.lookup("2002", server.stack.now)
                assert binding is not None
                assert binding.source in server.stack._connections  # noqa: SLF001
                outcome = await server.dial("2002", ring_timeout=5)
                outcomes.append(outcome)
                assert outcome.call is not None
                await asyncio.sleep(0.3)
                await outcome.call.hangup()
                await agent.wait_event("CALL_CLOSED")

    uvloop.run(scenario())
    assert (outcomes[0].status, outcomes[0].sip_code) == (DialStatus.ANSWERED, 200)
