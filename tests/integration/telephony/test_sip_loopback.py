"""Transactions on a real UDP socket: retransmissions, CANCEL races, re-INVITE, limits."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
import uvloop

from careline.telephony.calls import Call
from careline.telephony.legs import Leg
from careline.telephony.outbound import DialStatus
from careline.telephony.server import VoiceServer
from careline.telephony.sip.digest import AuthOutcome, DigestServer, answer_challenges
from careline.telephony.sip.message import SipRequest, build_response, parse_message
from careline.telephony.sip.ratelimit import RateLimiter
from careline.telephony.trunk import TrunkSettings
from tests.integration.telephony.phones import prompt, voice_server
from tests.integration.telephony.sipclient import Dialogue, RawSip, header, sdp
from tests.support.baresip import tone

pytestmark = pytest.mark.sip
Scenario = Callable[[VoiceServer, RawSip], Awaitable[None]]


def run(flow: Callable[[Call], Awaitable[None]], scenario: Scenario, **options: object) -> None:
    async def main() -> None:
        async with voice_server(flow, **options) as server:  # type: ignore[arg-type]
            client = await RawSip.open()
            try:
                await scenario(server, client)
            finally:
                client.close()

    uvloop.run(main())


async def _wait(call: Call) -> None:
    await call.wait_ended()


async def _answer_and_wait(call: Call) -> None:
    await call.answer()
    await call.wait_ended()


def _leg(server: VoiceServer) -> Leg:
    (leg,) = server._legs.values()  # noqa: SLF001 - the test inspects the live leg
    return leg


def test_retransmitted_invite_starts_one_call() -> None:
    started: list[Call] = []

    async def flow(call: Call) -> None:
        started.append(call)
        await call.wait_ended()

    async def scenario(server: VoiceServer, client: RawSip) -> None:
        dialogue = Dialogue(client, server.address)
        invite = dialogue.request("INVITE", body=sdp())
        dialogue.send(invite)
        await client.expect("180")
        dialogue.send(invite)
        await client.expect("180")  # the repeat gets the last provisional again
        await asyncio.sleep(0.2)
        assert server.active_calls == 1

    run(flow, scenario)
    assert len(started) == 1


def test_cancel_while_ringing_ends_the_call_with_487() -> None:
    ended: list[str] = []

    async def flow(call: Call) -> None:
        ended.append(await call.wait_ended())

    async def scenario(server: VoiceServer, client: RawSip) -> None:
        dialogue = Dialogue(client, server.address)
        branch = "z9hG4bKcancelme"
        dialogue.send(dialogue.request("INVITE", body=sdp(), branch=branch))
        dialogue.learn_tag(await client.expect("180"))
        tag, dialogue.to_tag = dialogue.to_tag, ""
        dialogue.send(dialogue.request("CANCEL", branch=branch, cseq=1))
        await client.expect("200")
        final = await client.expect("487")
        assert f"tag={tag}" in header(final, "To")
        dialogue.to_tag = tag
        dialogue.ack(1, branch=branch)
        await asyncio.sleep(0.2)
        assert server.active_calls == 0

    run(flow, scenario)
    assert ended == ["cancelled"]


def test_cancel_after_the_answer_gets_481_and_the_call_stays_up() -> None:
    async def scenario(server: VoiceServer, client: RawSip) -> None:
        dialogue = Dialogue(client, server.address)
        branch = "z9hG4bKlatecancel"
        dialogue.send(dialogue.request("INVITE", body=sdp(), branch=branch))
        dialogue.learn_tag(await client.expect("200"))
        dialogue.ack(1)
        dialogue.send(dialogue.request("CANCEL", branch=branch, cseq=1))
        await client.expect("481")
        assert server.active_calls == 1

    run(_answer_and_wait, scenario)


def test_200_is_retransmitted_until_the_ack_arrives() -> None:
    async def scenario(server: VoiceServer, client: RawSip) -> None:
        dialogue = Dialogue(client, server.address)
        dialogue.send(dialogue.request("INVITE", body=sdp()))
        first = await client.expect("200")
        again = await client.expect("200", timeout=1.5)
        assert header(first, "CSeq") == header(again, "CSeq")
        dialogue.learn_tag(again)
        dialogue.ack(1)
        await asyncio.sleep(1.2)
        while (late := await client.next(0.1)) is not None:
            assert not late.startswith(b"SIP/2.0 200"), "200 repeated after the ACK"

    run(_answer_and_wait, scenario)


def test_reinvite_puts_the_call_on_hold_and_takes_it_off() -> None:
    async def scenario(server: VoiceServer, client: RawSip) -> None:
        dialogue = Dialogue(client, server.address)
        dialogue.send(dialogue.request("INVITE", body=sdp()))
        answer = await client.expect("200")
        dialogue.learn_tag(answer)
        dialogue.ack(1)
        assert b"a=sendrecv" in answer
        dialogue.send(dialogue.request("INVITE", body=sdp(direction="sendonly")))
        held = await client.expect("200")
        dialogue.ack(2)
        assert b"a=recvonly" in held
        assert _leg(server).on_hold
        dialogue.send(dialogue.request("INVITE", body=sdp()))
        resumed = await client.expect("200")
        dialogue.ack(3)
        assert b"a=sendrecv" in resumed
        assert not _leg(server).on_hold
        versions = [_origin_version(r) for r in (answer, held, resumed)]
        assert versions == sorted(set(versions))
        dialogue.send(dialogue.request("BYE"))
        await client.expect("200")
        await asyncio.sleep(0.1)
        assert server.active_calls == 0

    run(_answer_and_wait, scenario)


def _origin_version(response: bytes) -> int:
    origin = next(line for line in response.split(b"\r\n") if line.startswith(b"o="))
    return int(origin.split()[2])


def test_bye_outside_any_dialog_gets_481() -> None:
    async def scenario(server: VoiceServer, client: RawSip) -> None:
        dialogue = Dialogue(client, server.address)
        dialogue.to_tag = "nosuchdialog"
        dialogue.send(dialogue.request("BYE"))
        await client.expect("481")

    run(_wait, scenario)


def test_calls_beyond_the_limit_get_503() -> None:
    async def scenario(server: VoiceServer, client: RawSip) -> None:
        first = Dialogue(client, server.address)
        first.send(first.request("INVITE", body=sdp()))
        await client.expect("180")
        second = Dialogue(client, server.address)
        second.send(second.request("INVITE", body=sdp()))
        refused = await client.expect("503")
        assert header(refused, "Call-ID") == second.call_id

    async def scenario_with_limit(server: VoiceServer, client: RawSip) -> None:
        server.max_calls = 1
        await scenario(server, client)

    run(_wait, scenario_with_limit)


def test_call_longer_than_the_limit_is_hung_up_with_bye() -> None:
    async def scenario(server: VoiceServer, client: RawSip) -> None:
        server.max_call_seconds = 0.5
        dialogue = Dialogue(client, server.address)
        dialogue.send(dialogue.request("INVITE", body=sdp()))
        dialogue.learn_tag(await client.expect("200"))
        dialogue.ack(1)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 4
        while (data := await client.next(deadline - loop.time())) is not None:
            if data.startswith(b"BYE "):
                return
        raise AssertionError("no BYE")

    run(_answer_and_wait, scenario)


def test_untrusted_caller_must_authenticate_as_an_extension() -> None:
    async def scenario(server: VoiceServer, client: RawSip) -> None:
        dialogue = Dialogue(client, server.address)
        dialogue.send(dialogue.request("INVITE", body=sdp()))
        challenge = await client.expect("401")
        dialogue.ack(1)
        uri = f"sip:100@127.0.0.1:{server.port}"
        credentials = answer_challenges(
            [header(challenge, "WWW-Authenticate")], "2001", "pw", "INVITE", uri
        )
        dialogue.send(
            dialogue.request("INVITE", body=sdp(), extra=f"Authorization: {credentials}\r\n")
        )
        await client.expect("180")

    run(_wait, scenario, extensions={"2001": "pw"}, trusted=frozenset())


def test_scanner_with_wrong_passwords_is_blocked() -> None:
    async def scenario(server: VoiceServer, client: RawSip) -> None:
        dialogue = Dialogue(client, server.address, user="2001")
        for _ in range(3):
            dialogue.send(dialogue.request("REGISTER"))
            challenge = await client.expect("401")
            credentials = answer_challenges(
                [header(challenge, "WWW-Authenticate")], "2001", "guess", "REGISTER", "sip:x"
            )
            dialogue.send(dialogue.request("REGISTER", extra=f"Authorization: {credentials}\r\n"))
            await client.expect("401")
        dialogue.send(dialogue.request("OPTIONS"))
        assert await client.next(0.5) is None
        assert server.limiter.is_blocked("127.0.0.1", server.stack.now)

    limiter = RateLimiter(max_failed_auth=3, block_seconds=60)
    run(_wait, scenario, extensions={"2001": "pw"}, trusted=frozenset(), limiter=limiter)


def test_options_is_answered_with_allow() -> None:
    async def scenario(server: VoiceServer, client: RawSip) -> None:
        dialogue = Dialogue(client, server.address)
        dialogue.send(dialogue.request("OPTIONS"))
        answer = await client.expect("200")
        assert "INVITE" in header(answer, "Allow")
        assert "REGISTER" in header(answer, "Allow")

    run(_wait, scenario)


def test_trunk_challenge_is_answered_and_busy_is_reported() -> None:
    seen: dict[str, object] = {}

    async def main() -> None:
        carrier = await RawSip.open()
        trunk = TrunkSettings("127.0.0.1", carrier.port, "hospital", "trunk-secret", "02150000000")
        async with voice_server(_wait, trunk=trunk) as server:
            dialling = asyncio.ensure_future(server.dial("13900000009", ring_timeout=5))
            checker = DigestServer("carrier", algorithms=("SHA-256", "MD5"))
            first = await _invite_from(carrier)
            challenge = build_response(first, 407, to_tag="c1")
            for value in checker.challenges(server.stack.now):
                challenge.headers.append("Proxy-Authenticate", value)
            carrier.send(bytes(challenge), server.address)
            second = await _invite_from(carrier)
            proof = second.headers.get_first("proxy-authorization")
            verdict = checker.verify(
                proof, "INVITE", {"hospital": "trunk-secret"}, server.stack.now
            )
            carrier.send(bytes(build_response(second, 486, to_tag="c2")), server.address)
            outcome = await dialling
            seen.update(
                verdict=verdict.outcome,
                algorithm="SHA-256" in (proof or ""),
                outcome=(outcome.status, outcome.sip_code),
                caller=second.headers.get_first("from"),
            )
        carrier.close()

    uvloop.run(main())
    assert seen["verdict"] == AuthOutcome.OK
    assert seen["algorithm"] is True
    assert seen["outcome"] == (DialStatus.BUSY, 486)
    assert "sip:02150000000@" in str(seen["caller"])


async def _invite_from(carrier: RawSip) -> SipRequest:
    while True:
        data = await carrier.next()
        assert data is not None, "the trunk got no INVITE"
        message = parse_message(data)
        if isinstance(message, SipRequest) and message.method == "INVITE":
            return message


def test_bridged_callee_never_sees_the_callers_number(capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[bytes] = []

    async def main() -> None:
        callee = await RawSip.open()

        async def flow(call: Call) -> None:
            await call.answer()
            await call.bridge(f"sip:agent@127.0.0.1:{callee.port}", caller_id="02150000000")

        async with voice_server(flow) as server:
            caller = await RawSip.open()
            dialogue = Dialogue(caller, server.address)
            dialogue.send(dialogue.request("INVITE", body=sdp(), extra="Subject: x\r\n"))
            dialogue.learn_tag(await caller.expect("200"))
            dialogue.ack(1)
            invite = await _invite_from(callee)
            seen.append(bytes(invite))
            ringing = build_response(invite, 180, to_tag="a1")
            callee.send(bytes(ringing), server.address)
            dialogue.send(dialogue.request("BYE"))
            await caller.expect("200")
            while (data := await callee.next(1.0)) is not None:
                seen.append(data)
            caller.close()
        callee.close()

    uvloop.run(main())
    assert seen[0].startswith(b"INVITE sip:agent@")
    assert any(d.startswith(b"CANCEL ") for d in seen), "the ringing callee was not cancelled"
    assert all(b"13800000000" not in d for d in seen)
    assert b"02150000000" in seen[0]
    assert "13800000000" not in capsys.readouterr().out


def test_invite_without_offer_gets_ours_and_media_follows_the_ack_answer() -> None:
    played: list[str | None] = []

    async def flow(call: Call) -> None:
        played.append(await call.play(prompt(tone(440.0, 0.4)), barge_in=False))
        await call.wait_ended()

    async def scenario(server: VoiceServer, client: RawSip) -> None:
        rtp = await RawSip.open()
        dialogue = Dialogue(client, server.address)
        dialogue.send(dialogue.request("INVITE"))
        answer = await client.expect("200")
        dialogue.learn_tag(answer)
        assert b"m=audio" in answer
        assert b"a=rtpmap:8 PCMA/8000" in answer
        ack_answer = sdp(port=rtp.port).replace("RTP/AVP 8 0 101", "RTP/AVP 0 101")
        dialogue.send(dialogue.request("ACK", cseq=1, body=ack_answer))
        packet = await rtp.next(2.0)
        await asyncio.sleep(0.6)  # the prompt plays out
        rtp.close()
        assert packet is not None, "no RTP after the ACK's answer"
        assert packet[1] & 0x7F == 0  # PCMU, the payload type the answer chose

    run(flow, scenario)
    assert played == [None]
