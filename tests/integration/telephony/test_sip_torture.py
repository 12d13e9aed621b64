"""RFC 4475 torture messages sent at a running server: answered as the RFC expects, and the
server keeps serving afterwards."""

from __future__ import annotations

import asyncio

import pytest
import uvloop

from careline.telephony.calls import Call
from careline.telephony.server import VoiceServer
from careline.telephony.sip.ratelimit import RateLimiter
from tests.integration.telephony.phones import voice_server
from tests.integration.telephony.rfc4475 import INVALID, VALID
from tests.integration.telephony.sipclient import Dialogue, RawSip

pytestmark = pytest.mark.sip


async def _refuse(call: Call) -> None:
    await call.hangup()  # before answering: no RTP ever goes to the RFC's example hosts


async def _first_status(client: RawSip) -> str:
    """Return the first final (or only) status code received, "" when nothing came."""
    status = ""
    while (data := await client.next(0.6)) is not None:
        if data.startswith(b"SIP/2.0 "):
            status = data.split(b" ", 2)[1].decode()
            if not status.startswith("1"):
                return status
    return status


def _answers(messages: list[tuple[str, str, bytes, set[str]]]) -> dict[str, tuple[str, bool]]:
    results: dict[str, tuple[str, bool]] = {}

    async def main() -> None:
        async with voice_server(_refuse, limiter=RateLimiter(burst=500, rate=500)) as server:
            for name, _, datagram, _ in messages:
                client = await RawSip.open()
                client.send(datagram, server.address)
                status = await _first_status(client)
                client.close()
                results[name] = (status, await _still_serving(server))

    uvloop.run(main())
    return results


async def _still_serving(server: VoiceServer) -> bool:
    client = await RawSip.open()
    try:
        dialogue = Dialogue(client, server.address)
        dialogue.send(dialogue.request("OPTIONS"))
        await client.expect("200", timeout=2)
        return True
    except AssertionError:
        return False
    finally:
        client.close()
        await asyncio.sleep(0)


def test_valid_torture_messages_are_handled() -> None:
    results = _answers(VALID)
    for name, _, _, expected in VALID:
        assert results[name][0] in expected, (name, results[name])
        assert results[name][1], f"server stopped answering after {name}"


def test_invalid_torture_messages_are_refused_cleanly() -> None:
    results = _answers(INVALID)
    for name, _, _, expected in INVALID:
        assert results[name][0] in expected, (name, results[name])
        assert results[name][1], f"server stopped answering after {name}"
