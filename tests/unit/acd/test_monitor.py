"""The listen-in mixer and the shared relay tap."""

from __future__ import annotations

from typing import Any, cast

import numpy as np

from careline.acd.monitor import FrameMixer
from careline.telephony.bridge_recording import audio_of, tap
from careline.telephony.media import MediaStream
from careline.telephony.media.g711 import Codec, encode


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


class Stream:
    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def relay_out(self, packet: bytes) -> None:
        self.sent.append(packet)


def test_two_taps_share_a_stream_and_stop_in_any_order() -> None:
    fake = Stream()
    stream = cast(MediaStream, fake)
    first: list[bytes] = []
    second: list[bytes] = []
    untap_first = tap(stream, first.append)
    untap_second = tap(stream, second.append)
    stream.relay_out(b"a")
    untap_first()
    stream.relay_out(b"b")
    untap_second()
    stream.relay_out(b"c")
    assert fake.sent == [b"a", b"b", b"c"]
    assert (first, second) == ([b"a"], [b"a", b"b"])
    assert "relay_out" not in vars(cast(Any, fake))


def test_only_g711_audio_is_decoded() -> None:
    header = bytes([0x80, 8]) + bytes(10)
    pcm = audio_of(header + encode(Codec.PCMA, frame(1000)))
    assert pcm is not None
    assert abs(int(pcm[0]) - 1000) < 64
    assert audio_of(bytes([0x80, 101]) + bytes(10) + b"\x01\x00\x00\xa0") is None
