"""The asyncio face of a stream, wired in memory to another one (no sockets)."""

from __future__ import annotations

import asyncio
import wave
from pathlib import Path

import numpy as np
import pytest

from careline.telephony.media import Codec, MediaEngine, MediaStream, Prompt, bridge, unbridge
from careline.telephony.media.core import StreamCore

A_ADDR = ("192.0.2.1", 4000)
B_ADDR = ("192.0.2.2", 5000)


class Wire:
    """Two streams whose cores exchange packets when ``run`` moves the fake time."""

    def __init__(self) -> None:
        self.engine = MediaEngine("127.0.0.1", 40000, 40010)
        self.now = 0.0
        self.a = MediaStream(self.engine, StreamCore(now=0.0, rtp_timeout=1.0), *A_ADDR)
        self.b = MediaStream(self.engine, StreamCore(now=0.0, rtp_timeout=1.0), *B_ADDR)
        self.a.configure(remote=B_ADDR, codec=Codec.PCMU, payload_type=0, dtmf_payload_type=101)
        self.b.configure(remote=A_ADDR, codec=Codec.PCMU, payload_type=0, dtmf_payload_type=101)
        self.b_muted = False

    async def run(self, ticks: int) -> None:
        for _ in range(ticks):
            self.now += 0.02
            from_a, from_b = self.a.core.tick(self.now), self.b.core.tick(self.now)
            if from_a is not None:
                self.b.core.receive_rtp(from_a, A_ADDR, self.now)
            if from_b is not None and not self.b_muted:
                self.a.core.receive_rtp(from_b, B_ADDR, self.now)
            self.a.dispatch()
            self.b.dispatch()
            await asyncio.sleep(0)


def tone(seconds: float) -> Prompt:
    t = np.arange(int(seconds * 8000)) / 8000
    return Prompt((6000 * np.sin(2 * np.pi * 500 * t)).astype(np.int16), name="tone")


@pytest.mark.asyncio
async def test_play_returns_the_barge_in_key_and_does_not_queue_it() -> None:
    wire = Wire()
    playing = asyncio.create_task(wire.a.play(tone(5.0)))
    await wire.run(5)
    wire.b.send_dtmf("4")
    await wire.run(10)
    assert playing.done()
    assert playing.result() == "4"
    assert await wire.a.next_digit(0) is None


@pytest.mark.asyncio
async def test_play_to_the_end_returns_none() -> None:
    wire = Wire()
    playing = asyncio.create_task(wire.a.play(tone(0.2)))
    await wire.run(12)
    assert playing.done()
    assert playing.result() is None


@pytest.mark.asyncio
async def test_prompts_after_a_collected_key_still_finish() -> None:
    wire = Wire()
    wire.b.send_dtmf("3")
    assert await asyncio.wait_for(wire_key(wire), 1.0) == "3"
    for _ in range(2):
        playing = asyncio.create_task(wire.a.play(tone(0.2), barge_in=False))
        await wire.run(14)
        assert playing.done()
        assert playing.result() is None


async def wire_key(wire: Wire) -> str | None:
    waiting = asyncio.create_task(wire.a.next_digit(None))
    while not waiting.done():
        await wire.run(1)
    return waiting.result()


@pytest.mark.asyncio
async def test_type_ahead_key_skips_the_prompt() -> None:
    wire = Wire()
    wire.b.send_dtmf("1")
    await wire.run(10)
    assert await wire.a.play(tone(5.0)) == "1"
    assert not wire.a.core.playing  # nothing started playing


@pytest.mark.asyncio
async def test_keys_are_queued_in_order_and_flushed() -> None:
    wire = Wire()
    for key in "12":
        wire.b.send_dtmf(key)
    await wire.run(25)
    assert await wire.a.next_digit(0) == "1"
    wire.a.flush_digits()
    assert await wire.a.next_digit(0.01) is None


@pytest.mark.asyncio
async def test_next_digit_waits_for_a_key() -> None:
    wire = Wire()
    waiting = asyncio.create_task(wire.a.next_digit(None))
    await wire.run(2)
    assert not waiting.done()
    wire.b.send_dtmf("*")
    await wire.run(5)
    assert waiting.result() == "*"


@pytest.mark.asyncio
async def test_cancelled_play_stops_the_audio() -> None:
    wire = Wire()
    playing = asyncio.create_task(wire.a.play(tone(5.0)))
    await wire.run(3)
    playing.cancel()
    await asyncio.sleep(0)
    assert not wire.a.core.playing


@pytest.mark.asyncio
async def test_record_writes_a_wav_and_stops_on_hash(tmp_path: Path) -> None:
    wire = Wire()
    recording = asyncio.create_task(wire.a.record(tmp_path / "vm.wav", max_seconds=10))
    speaking = asyncio.create_task(wire.b.play(tone(0.6)))
    await wire.run(40)
    assert speaking.done()
    wire.b.send_dtmf("#")
    await wire.run(5)
    result = await recording
    assert result.ended_by == "digit"
    with wave.open(str(result.path), "rb") as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)
        assert wav.getnframes() == pytest.approx(result.seconds * 8000)
    assert 0.8 <= result.seconds <= 0.95
    assert await wire.a.next_digit(0) is None  # the stop key is not queued


@pytest.mark.asyncio
async def test_rtp_timeout_releases_everything_waiting(tmp_path: Path) -> None:
    wire = Wire()
    wire.b_muted = True
    digit = asyncio.create_task(wire.a.next_digit(None))
    playing = asyncio.create_task(wire.a.play(tone(5.0), barge_in=False))
    recording = asyncio.create_task(wire.a.record(tmp_path / "r.wav", max_seconds=10))
    await wire.run(60)
    assert await wire.a.wait_closed() == "rtp_timeout"
    assert digit.result() is None
    assert playing.result() is None
    assert (await recording).ended_by == "hangup"
    assert await wire.a.play(tone(1.0)) is None  # a closed stream plays nothing


@pytest.mark.asyncio
async def test_close_resolves_wait_closed() -> None:
    wire = Wire()
    closed = asyncio.create_task(wire.a.wait_closed())
    await asyncio.sleep(0)
    wire.a.close()
    wire.a.close()
    assert await closed == "closed"


@pytest.mark.asyncio
async def test_playing_before_configure_is_refused() -> None:
    engine = MediaEngine("127.0.0.1", 40000, 40010)
    stream = MediaStream(engine, StreamCore(now=0.0), *A_ADDR)
    with pytest.raises(RuntimeError, match="configure"):
        await stream.play(tone(0.1))


def test_engine_refuses_a_range_without_a_port_pair() -> None:
    with pytest.raises(ValueError, match="even/odd pair"):
        MediaEngine("127.0.0.1", 40001, 40001)


@pytest.mark.asyncio
async def test_bridge_pairs_two_legs_and_unbridge_parts_them() -> None:
    wire = Wire()
    third = MediaStream(wire.engine, StreamCore(now=0.0), "192.0.2.3", 6000)
    bridge(wire.a, wire.b)
    assert wire.a.peer is wire.b
    assert wire.b.core.relay is wire.a.core
    bridge(wire.a, third)  # re-bridging first parts the old pair
    assert wire.b.peer is None
    assert wire.b.core.relay is None
    unbridge(wire.a, third)
    assert wire.a.peer is None
    assert third.core.relay is None
    with pytest.raises(ValueError, match="itself"):
        bridge(third, third)
