"""The listen-in mixer and the shared relay tap."""

from __future__ import annotations

import socket

import numpy as np
import pytest

from careline.acd.monitor import FrameMixer
from careline.telephony.bridge_recording import audio_of
from careline.telephony.media import MediaEngine, bridge
from careline.telephony.media.g711 import Codec, encode
from tests.support.ports import free_port_range


def frame(value: int) -> np.ndarray:
    return np.full(160, value, dtype=np.int16)


def test_frames_of_both_directions_are_summed_in_pairs() -> None:
    mixer = FrameMixer()
    assert mixer.push(0, frame(100)) == []
    (mixed,) = mixer.push(1, frame(20))
    assert mixed[0] == 120
    assert mixer.push(1, frame(5)) == []


def test_a_quiet_direction_does_not_hold_the_other_back() -> None:
    mixer = FrameMixer(lag_frames=2)
    out = [f for v in (1, 2, 3, 4) for f in mixer.push(0, frame(v))]
    assert [int(f[0]) for f in out] == [1, 2]


def test_loud_pairs_are_clipped() -> None:
    mixer = FrameMixer()
    mixer.push(0, frame(30000))
    (mixed,) = mixer.push(1, frame(30000))
    assert mixed[0] == 32767


@pytest.mark.asyncio
async def test_two_taps_share_a_stream_and_stop_in_any_order() -> None:
    engine = MediaEngine("127.0.0.1", *free_port_range(8))
    a, b = await engine.open_stream(), await engine.open_stream()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as phone:
        phone.bind(("127.0.0.1", 0))
        phone.settimeout(2.0)
        b.configure(
            remote=phone.getsockname(), codec=Codec.PCMA, payload_type=8, dtmf_payload_type=None
        )
        bridge(a, b)
        first: list[bytes] = []
        second: list[bytes] = []
        untap_first = a.tap_relay(first.append)
        untap_second = a.tap_relay(second.append)
        a.relay_out(b"a")
        untap_first()
        a.relay_out(b"b")
        untap_second()
        untap_second()  # twice is harmless
        a.relay_out(b"c")
        # The bridged leg's phone gets every packet, tapped or not.
        assert [phone.recv(64) for _ in range(3)] == [b"a", b"b", b"c"]
    assert (first, second) == ([b"a"], [b"a", b"b"])
    await engine.stop()


def test_only_g711_audio_is_decoded() -> None:
    header = bytes([0x80, 8]) + bytes(10)
    pcm = audio_of(header + encode(Codec.PCMA, frame(1000)))
    assert pcm is not None
    assert abs(int(pcm[0]) - 1000) < 64
    assert audio_of(bytes([0x80, 101]) + bytes(10) + b"\x01\x00\x00\xa0") is None
