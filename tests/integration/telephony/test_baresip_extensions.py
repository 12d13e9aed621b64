"""Extensions register with digest auth; Careline bridges a caller to one; outbound via trunk."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest
import uvloop

from careline.telephony.calls import BridgeResult, Call, DialOutcome
from careline.telephony.outbound import DialStatus
from careline.telephony.sip.ratelimit import RateLimiter
from careline.telephony.trunk import TrunkSettings
from tests.integration.telephony.phones import (
    CODECS,
    caller_account,
    extension_account,
    frames_with,
    phone,
    voice_server,
)
from tests.support.baresip import Baresip, tone

pytestmark = pytest.mark.sip
HOSPITAL_NUMBER = "02150000000"
CALLER_HZ = 600.0
AGENT_HZ = 1100.0
CALLEE = "13900000001"


def test_extension_with_right_password_registers_and_wrong_one_is_refused(
    tmp_path: Path,
) -> None:
    outcome: dict[str, object] = {}

    async def scenario() -> None:
        # Both phones share 127.0.0.1, so the failed-login block must not shut out the good one.
        limiter = RateLimiter(max_failed_auth=1000)
        directory = {"2001": "right-pw"}
        async with voice_server(_idle, extensions=directory, limiter=limiter) as server:
            good = extension_account("2001", "right-pw", server.port)
            bad = extension_account("2001", "wrong-pw", server.port)
            async with (
                phone(tmp_path, "good", good, np.zeros(8000)) as agent,
                phone(tmp_path, "bad", bad, np.zeros(8000)) as intruder,
            ):
                outcome["good"] = await agent.registration()
                outcome["bad"] = await intruder.registration()
                binding = server.registrar.lookup("2001", server.stack.now)
                outcome["bound_to_good"] = binding is not None and binding.source[1] == (
                    agent.sip_port
                )

    uvloop.run(scenario())
    assert outcome == {"good": "OK", "bad": "ERR", "bound_to_good": True}


def test_caller_is_bridged_to_a_registered_extension_with_audio_both_ways(
    tmp_path: Path,
) -> None:
    results: list[BridgeResult] = []
    heard: dict[str, np.ndarray] = {}
    incoming: list[dict[str, object]] = []

    async def flow(call: Call) -> None:
        await call.answer()
        results.append(await call.bridge("2001", caller_id=HOSPITAL_NUMBER, ring_timeout=5))

    async def scenario() -> None:
        async with voice_server(flow, extensions={"2001": "pw2001"}) as server:
            account = extension_account("2001", "pw2001", server.port)
            async with (
                phone(tmp_path, "agent", account, tone(AGENT_HZ, 8.0)) as agent,
                phone(tmp_path, "caller", caller_account(), tone(CALLER_HZ, 8.0)) as caller,
            ):
                assert await agent.registration() == "OK"
                await caller.dial(f"sip:100@127.0.0.1:{server.port}")
                incoming.append(await agent.wait_event("CALL_ESTABLISHED"))
                await asyncio.sleep(2.0)
                await caller.hangup()
                await agent.wait_event("CALL_CLOSED")
            heard["agent"], heard["caller"] = agent.heard(), caller.heard()

    uvloop.run(scenario())
    assert results == [BridgeResult(DialStatus.ANSWERED, 200, "caller")]
    assert frames_with(heard["agent"], CALLER_HZ) >= 40
    assert frames_with(heard["caller"], AGENT_HZ) >= 40
    peer = str(incoming[0].get("peeruri", ""))
    assert HOSPITAL_NUMBER in peer
    assert "13800000000" not in str(incoming[0])


def test_outbound_calls_through_trunk_report_answered_busy_and_no_answer(
    tmp_path: Path,
) -> None:
    outcomes: list[DialOutcome] = []

    async def scenario() -> None:
        # baresip finds the account by the Request-URI user, so every call rings that number.
        account = f"<sip:{CALLEE}@127.0.0.1>;regint=0;answermode=manual;{CODECS}"
        async with phone(tmp_path, "trunk", account, tone(CALLER_HZ, 10.0)) as carrier:
            trunk = TrunkSettings("127.0.0.1", carrier.sip_port, caller_id=HOSPITAL_NUMBER)
            async with voice_server(_idle, trunk=trunk) as server:
                outcomes.append(await _answered(server, carrier))
                outcomes.append(await _rejected(server, carrier))
                outcomes.append(await server.dial(CALLEE, ring_timeout=1.5))

    uvloop.run(scenario())
    answered, busy, no_answer = outcomes
    assert (answered.status, answered.sip_code) == (DialStatus.ANSWERED, 200)
    assert (busy.status, busy.sip_code) == (DialStatus.BUSY, 486)
    assert (no_answer.status, no_answer.sip_code) == (DialStatus.NO_ANSWER, 487)


async def _answered(server: object, carrier: Baresip) -> DialOutcome:
    dialling = asyncio.ensure_future(server.dial(CALLEE, ring_timeout=5))  # type: ignore[attr-defined]
    await _next_incoming(carrier)
    await carrier.command("accept")
    outcome: DialOutcome = await dialling
    assert outcome.call is not None
    await asyncio.sleep(0.3)
    await outcome.call.hangup()
    await carrier.wait_event("CALL_CLOSED")
    carrier.events.clear()
    return outcome


async def _rejected(server: object, carrier: Baresip) -> DialOutcome:
    dialling = asyncio.ensure_future(server.dial(CALLEE, ring_timeout=5))  # type: ignore[attr-defined]
    await _next_incoming(carrier)
    await carrier.command("hangup")
    outcome: DialOutcome = await dialling
    await carrier.wait_event("CALL_CLOSED")
    carrier.events.clear()
    return outcome


async def _next_incoming(carrier: Baresip) -> None:
    await carrier.wait_event("CALL_INCOMING")


async def _idle(call: Call) -> None:
    await call.wait_ended()
