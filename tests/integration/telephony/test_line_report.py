"""A line counts its calls as phones see them: started, ended and why, refused and with what."""

from __future__ import annotations

import asyncio

import pytest
import uvloop

from careline.telephony.calls import Call
from careline.telephony.line_report import LineReport
from careline.telephony.server import VoiceServer
from tests.integration.telephony.phones import voice_server
from tests.integration.telephony.sipclient import Dialogue, RawSip, sdp

pytestmark = pytest.mark.sip


async def _answered_then_hung_up(server: VoiceServer, client: RawSip) -> None:
    dialogue = Dialogue(client, server.address)
    dialogue.send(dialogue.request("INVITE", body=sdp(client.port)))
    dialogue.learn_tag(await client.expect("200"))
    dialogue.ack(1)
    dialogue.send(dialogue.request("BYE", cseq=2))
    await client.expect("200")


async def _refused(server: VoiceServer, client: RawSip, body: str, status: str) -> None:
    dialogue = Dialogue(client, server.address)
    dialogue.send(dialogue.request("INVITE", body=body))
    await client.expect(status)


def test_the_line_counts_answered_ended_and_refused_calls() -> None:
    async def flow(call: Call) -> None:
        await call.answer()
        await call.wait_ended()

    async def main() -> tuple[LineReport, LineReport]:
        async with voice_server(flow) as server:
            client = await RawSip.open()
            try:
                before = server.report()
                await _answered_then_hung_up(server, client)
                await _answered_then_hung_up(server, client)
                await _refused(server, client, "v=0\r\nnot sdp\r\n", "488")
                server.max_calls = 0  # the line is full
                await _refused(server, client, sdp(client.port), "503")
                return before, server.report()
            finally:
                client.close()

    before, after = uvloop.run(main())
    assert before.calls_started == {}
    assert before.calls_ended == {}
    assert after.calls_started == {"inbound": 2}
    assert after.calls_ended == {"hangup": 2}
    assert after.calls_refused == {"488": 1, "503": 1}
    assert after.calls_active == 0
    assert after.media_ticks > 0


def test_a_call_whose_rtp_stops_is_hung_up_and_counted() -> None:
    async def flow(call: Call) -> None:
        await call.answer()
        await call.wait_ended()

    async def main() -> tuple[bytes, LineReport]:
        async with voice_server(flow, rtp_timeout=0.5) as server:
            client = await RawSip.open()
            try:
                dialogue = Dialogue(client, server.address)
                dialogue.send(dialogue.request("INVITE", body=sdp(client.port)))
                dialogue.learn_tag(await client.expect("200"))
                dialogue.ack(1)
                # The phone sends no RTP at all: Careline hangs up with a BYE of its own.
                bye = await client.first(b"BYE ", timeout=5.0)
                await asyncio.sleep(0.05)
                return bye or b"", server.report()
            finally:
                client.close()

    bye, report = uvloop.run(main())
    assert bye.startswith(b"BYE ")
    assert report.calls_ended == {"rtp_timeout": 1}
    assert report.calls_active == 0
