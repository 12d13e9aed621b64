"""Keys that reach a stream just as its collect window closes, after the loop stalled."""

from __future__ import annotations

import asyncio

import pytest

from careline.telephony.media import Codec, MediaEngine, MediaStream
from careline.telephony.media.core import StreamCore
from careline.telephony.media.stream import RtpProtocol

A_ADDR = ("192.0.2.1", 4000)
B_ADDR = ("192.0.2.2", 5000)


def _pair() -> tuple[MediaStream, StreamCore]:
    engine = MediaEngine("127.0.0.1", 40000, 40010)
    stream = MediaStream(engine, StreamCore(now=0.0), *A_ADDR)
    stream.configure(remote=B_ADDR, codec=Codec.PCMU, payload_type=0, dtmf_payload_type=101)
    phone = StreamCore(now=0.0)
    phone.configure(remote=A_ADDR, codec=Codec.PCMU, payload_type=0, dtmf_payload_type=101)
    return stream, phone


def _key_packets(phone: StreamCore, digit: str) -> list[bytes]:
    """The whole RFC 4733 event for one key (updates and the end packet three times)."""
    phone.queue_dtmf(digit)
    packets = [phone.tick(0.02 * (n + 1)) for n in range(12)]
    return [p for p in packets if p is not None and p[1] & 0x7F == 101]


@pytest.mark.asyncio
async def test_a_key_that_arrives_with_the_deadline_after_a_stall_is_collected(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loop = asyncio.get_running_loop()
    fake_now = [loop.time()]
    monkeypatch.setattr(loop, "time", lambda: fake_now[0])  # the loop's clock, faked
    stream, phone = _pair()
    burst = _key_packets(phone, "7")
    assert len(burst) >= 4  # a real event: updates and the end packets
    receiver = RtpProtocol(stream, lambda: 0.0)

    waiting = asyncio.create_task(stream.next_digit(5.0))
    await asyncio.sleep(0)  # the collect window is open: its deadline is 5 s away

    # The loop stalls for 6 s. The key's packets waited in the socket and are read, all at
    # once, in the first turn after the stall, before the expired deadline's timer runs.
    def read_socket() -> None:
        for packet in burst:
            receiver.datagram_received(packet, B_ADDR)

    loop.call_soon(read_socket)
    fake_now[0] += 6.0
    assert await waiting == "7"
    assert await stream.next_digit(0) is None  # reported once, not queued twice


@pytest.mark.asyncio
async def test_a_window_that_closes_without_a_key_still_returns_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loop = asyncio.get_running_loop()
    fake_now = [loop.time()]
    monkeypatch.setattr(loop, "time", lambda: fake_now[0])
    stream, _ = _pair()
    waiting = asyncio.create_task(stream.next_digit(5.0))
    await asyncio.sleep(0)
    fake_now[0] += 6.0
    assert await waiting is None
    stream.close()
