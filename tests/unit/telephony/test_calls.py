"""The call API over a fake media stream: digits, barge-in, hang-ups, speaker, queue."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import numpy as np
import pytest

from careline.telephony.calls import (
    Call,
    CallEnded,
    CallEventKind,
    QueuePort,
    TelephonyError,
)
from careline.telephony.legs import InboundLeg, Leg
from careline.telephony.media import Prompt
from careline.telephony.sip.dialog import Dialog
from careline.telephony.sip.endpoint import RequestReceived, SipEndpoint
from careline.telephony.sip.sdp import SessionDescription, negotiate, parse_sdp
from careline.telephony.sip.stack import SipStack
from tests.unit.telephony.sipkit import ALICE, CARELINE, SDP_OFFER, request_text


class FakeStream:
    """Stands in for MediaStream: scripted digits and playback results, no sockets."""

    local_host = "127.0.0.1"
    local_port = 30000

    def __init__(self) -> None:
        self.digits: asyncio.Queue[str] = asyncio.Queue()
        self.play_results: list[str | None] = []
        self.played: list[str] = []
        self.sent: list[str] = []
        self.on_hold = False
        self.closed: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    def configure(self, **_: object) -> None:
        pass

    def hold(self, on: bool) -> None:
        self.on_hold = on

    async def play(self, prompt: Prompt, *, barge_in: bool = True) -> str | None:
        self.played.append(prompt.name)
        return self.play_results.pop(0) if self.play_results else None

    async def next_digit(self, timeout: float | None) -> str | None:
        try:
            return await asyncio.wait_for(self.digits.get(), timeout)
        except TimeoutError:
            return None

    def send_dtmf(self, digit: str) -> None:
        self.sent.append(digit)

    def on_closed(self, callback: Callable[[str], None]) -> None:
        self.closed.add_done_callback(lambda closed: callback(closed.result()))

    def close(self) -> None:
        if not self.closed.done():
            self.closed.set_result("closed")


class SentDatagrams:
    """Stands in for the UDP transport: keeps what the stack sends."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def sendto(self, payload: bytes, _peer: object) -> None:
        self.sent.append(payload)


class FakeHost:
    """The voice server's side of a call, with a real SIP core and no socket."""

    def __init__(self, speaker: Callable[..., object] | None = None) -> None:
        self.stack = SipStack(SipEndpoint(CARELINE), lambda _: None)
        self.wire = SentDatagrams()
        self.stack.attach(self.wire)  # type: ignore[arg-type]
        self.contact = "sip:careline@127.0.0.1:5060"
        self.language = "zh-CN"
        self.speaker = speaker
        self.queue: QueuePort | None = None
        self.default_caller_id = "02150000000"
        self.forgotten: list[Leg] = []

    def forget(self, leg: Leg) -> None:
        self.forgotten.append(leg)


def _call(host: FakeHost) -> tuple[Call, FakeStream]:
    endpoint = host.stack.endpoint
    endpoint.receive_datagram(request_text(body=SDP_OFFER), ALICE, 0.0)
    event = endpoint.next_event()
    assert isinstance(event, RequestReceived)
    assert event.transaction is not None
    stream = FakeStream()
    leg = InboundLeg(
        host,  # type: ignore[arg-type]
        Dialog.for_incoming(event.request, ALICE, host.contact),
        stream,  # type: ignore[arg-type]
        SessionDescription("127.0.0.1", 30000),
        event.transaction,
        negotiate(parse_sdp(SDP_OFFER)),
    )
    return Call(host, leg, direction="inbound"), stream  # type: ignore[arg-type]


def _tone(name: str) -> Prompt:
    return Prompt(pcm=np.zeros(80, dtype=np.int16), name=name)


@pytest.mark.asyncio
async def test_barge_in_digit_counts_towards_the_next_collect() -> None:
    call, stream = _call(FakeHost())
    stream.play_results = ["5"]
    assert await call.play(_tone("menu")) == "5"
    for digit in "6#9":
        stream.digits.put_nowait(digit)
    assert await call.collect(max_digits=4, timeout=1.0, terminator="#") == "56"
    assert [e.detail for e in call.events if e.kind == CallEventKind.DTMF] == ["5", "6", "#"]


@pytest.mark.asyncio
async def test_collect_stops_after_silence() -> None:
    call, stream = _call(FakeHost())
    stream.digits.put_nowait("1")
    assert await call.collect(max_digits=3, timeout=0.05) == "1"


@pytest.mark.asyncio
async def test_hangup_during_collect_raises_call_ended() -> None:
    host = FakeHost()
    call, _ = _call(host)
    await call.answer()
    waiting = asyncio.ensure_future(call.collect(max_digits=2, timeout=30))
    await asyncio.sleep(0)
    call.leg.end("hangup")
    with pytest.raises(CallEnded):
        await waiting
    assert call.events[-1].kind == CallEventKind.HUNG_UP
    assert host.forgotten == [call.leg]


@pytest.mark.asyncio
async def test_rtp_timeout_hangs_up_with_bye() -> None:
    host = FakeHost()
    call, stream = _call(host)
    await call.answer()
    assert host.wire.sent[-1].startswith(b"SIP/2.0 200 OK")
    stream.closed.set_result("rtp_timeout")
    assert await call.wait_ended() == "rtp_timeout"
    assert host.wire.sent[-1].startswith(b"BYE ")
    assert call.events[-1].kind == CallEventKind.RTP_TIMEOUT


@pytest.mark.asyncio
async def test_say_uses_the_injected_speaker_in_the_call_language() -> None:
    asked: list[tuple[str, str]] = []

    async def speaker(text: str, language: str) -> Prompt:
        asked.append((text, language))
        return _tone("spoken")

    call, stream = _call(FakeHost(speaker))
    await call.say("您好")
    assert asked == [("您好", "zh-CN")]
    assert stream.played == ["spoken"]


@pytest.mark.asyncio
async def test_say_without_speaker_is_an_error() -> None:
    call, _ = _call(FakeHost())
    with pytest.raises(TelephonyError):
        await call.say("hello")


@pytest.mark.asyncio
async def test_transfer_to_queue_hands_the_call_to_the_port() -> None:
    class RecordingQueue(QueuePort):
        def __init__(self) -> None:
            self.calls: list[tuple[Call, str]] = []

        async def enqueue(self, call: Call, queue: str) -> None:
            self.calls.append((call, queue))

    host = FakeHost()
    host.queue = RecordingQueue()
    call, _ = _call(host)
    await call.transfer_to_queue("pharmacy")
    assert host.queue.calls == [(call, "pharmacy")]  # type: ignore[attr-defined]
    assert call.leg.is_up


@pytest.mark.asyncio
async def test_send_dtmf_reaches_the_stream_and_fails_after_hangup() -> None:
    call, stream = _call(FakeHost())
    await call.answer()
    call.send_dtmf("12")
    assert stream.sent == ["1", "2"]
    await call.hangup()
    with pytest.raises(CallEnded):
        call.send_dtmf("3")
