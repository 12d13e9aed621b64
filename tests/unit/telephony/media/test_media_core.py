"""Two stream cores wired in memory and driven by a fake clock."""

from __future__ import annotations

import numpy as np
import pytest

from careline.telephony.media import rtcp
from careline.telephony.media.core import StreamCore
from careline.telephony.media.events import (
    DigitReceived,
    MediaEvent,
    PlaybackFinished,
    RecordingFinished,
    StreamClosed,
)
from careline.telephony.media.g711 import Codec, decode, encode
from careline.telephony.media.goertzel import DtmfDetector, key_for
from careline.telephony.media.rtp import RtpPacket

A_ADDR = ("192.0.2.1", 4000)
B_ADDR = ("192.0.2.2", 5000)


def sine(seconds: float, hz: float = 440.0, level: float = 8000.0) -> np.ndarray:
    t = np.arange(int(seconds * 8000)) / 8000
    return (level * np.sin(2 * np.pi * hz * t)).astype(np.int16)


class Pair:
    """Two cores that hear each other; ``step`` moves the fake clock one tick."""

    def __init__(self, codec: Codec = Codec.PCMU, *, dtmf: int | None = 101) -> None:
        self.now = 0.0
        self.a = StreamCore(now=0.0, ssrc=0xA, sequence=65530, timestamp=0xFFFFFF00, rtp_timeout=2)
        self.b = StreamCore(now=0.0, ssrc=0xB, rtp_timeout=2)
        pt = codec.static_payload_type
        self.a.configure(remote=B_ADDR, codec=codec, payload_type=pt, dtmf_payload_type=dtmf)
        self.b.configure(remote=A_ADDR, codec=codec, payload_type=pt, dtmf_payload_type=dtmf)
        self.sent_by_a: list[bytes] = []
        self.b_muted = False

    def step(self, ticks: int = 1) -> None:
        for _ in range(ticks):
            self.now += 0.02
            from_a = self.a.tick(self.now)
            from_b = self.b.tick(self.now)
            if from_a is not None:
                self.sent_by_a.append(from_a)
                self.b.receive_rtp(from_a, A_ADDR, self.now)
            if from_b is not None and not self.b_muted:
                self.a.receive_rtp(from_b, B_ADDR, self.now)


def take(core: StreamCore) -> list[MediaEvent]:
    events = core.events.copy()
    core.events.clear()
    return events


def test_packets_count_up_sequence_and_timestamp_across_the_wrap() -> None:
    pair = Pair()
    pair.step(10)
    packets = [RtpPacket.parse(p) for p in pair.sent_by_a]
    assert [p.sequence_number for p in packets] == [
        65530,
        65531,
        65532,
        65533,
        65534,
        65535,
        0,
        1,
        2,
        3,
    ]
    stamps = [p.timestamp for p in packets]
    assert all((b - a) % 2**32 == 160 for a, b in zip(stamps, stamps[1:], strict=False))
    assert [p.marker for p in packets] == [True] + [False] * 9
    assert {p.ssrc for p in packets} == {0xA}
    assert all(len(p.payload) == 160 and p.payload_type == 0 for p in packets)


def test_playback_reaches_the_other_side_and_finishes() -> None:
    pair = Pair(Codec.PCMA)
    prompt = sine(0.5)
    pair.step(3)
    token = pair.a.start_playback(encode(Codec.PCMA, prompt), barge_in=True)
    pair.b.start_recording(max_seconds=0.8, silence_seconds=5, stop_digits="#")
    pair.step(45)
    assert take(pair.a) == [PlaybackFinished(token, None)]
    [finished] = take(pair.b)
    assert isinstance(finished, RecordingFinished)
    assert finished.ended_by == "max"
    heard = finished.pcm.astype(np.float64)
    lag = int(np.argmax(np.correlate(heard, prompt.astype(np.float64), "valid")))
    segment = heard[lag : lag + len(prompt)]
    assert np.corrcoef(segment, prompt)[0, 1] > 0.99


def test_rfc4733_key_interrupts_a_barge_in_prompt_and_is_not_queued() -> None:
    pair = Pair()
    pair.step(3)
    token = pair.a.start_playback(encode(Codec.PCMU, sine(3.0)), barge_in=True)
    pair.step(10)
    pair.b.queue_dtmf("5")
    pair.step(15)
    assert take(pair.a) == [PlaybackFinished(token, "5")]
    last = RtpPacket.parse(pair.sent_by_a[-1]).payload
    assert np.abs(decode(Codec.PCMU, last)).max() < 200  # back to comfort noise


def test_key_without_barge_in_is_queued_and_the_prompt_plays_on() -> None:
    pair = Pair()
    token = pair.a.start_playback(encode(Codec.PCMU, sine(1.0)), barge_in=False)
    pair.step(5)
    pair.b.queue_dtmf("9")
    pair.step(60)
    assert take(pair.a) == [DigitReceived("9", "rfc4733"), PlaybackFinished(token, None)]


def test_every_key_sent_by_rfc4733_arrives_once() -> None:
    pair = Pair()
    for key in "0123456789*#ABCD":
        pair.b.queue_dtmf(key)
    pair.step(16 * 12)
    digits = [e.digit for e in take(pair.a) if isinstance(e, DigitReceived)]
    assert "".join(digits) == "0123456789*#ABCD"


def test_a_second_playback_ends_the_first() -> None:
    pair = Pair()
    first = pair.a.start_playback(encode(Codec.PCMU, sine(1.0)), barge_in=True)
    second = pair.a.start_playback(encode(Codec.PCMU, sine(0.1)), barge_in=True)
    pair.step(6)
    assert take(pair.a) == [PlaybackFinished(first, None), PlaybackFinished(second, None)]


def test_music_loops_until_stopped() -> None:
    pair = Pair()
    music = encode(Codec.PCMU, sine(0.1, hz=300))
    pair.a.start_music(music)
    pair.step(12)
    payloads = [RtpPacket.parse(p).payload for p in pair.sent_by_a]
    assert payloads[:5] == payloads[5:10] == [music[i : i + 160] for i in range(0, 800, 160)]
    pair.a.stop_music()
    pair.step(1)
    assert RtpPacket.parse(pair.sent_by_a[-1]).payload not in payloads


@pytest.mark.parametrize(
    ("stop", "ended_by"),
    [("digit", "digit"), ("silence", "silence"), ("max", "max"), ("hangup", "hangup")],
)
def test_recording_stop_conditions(stop: str, ended_by: str) -> None:
    pair = Pair()
    pair.step(3)
    talk = encode(Codec.PCMU, sine(1.0, level=4000))
    pair.b.start_playback(talk, barge_in=False)
    pair.a.start_recording(
        max_seconds=1.5 if stop == "max" else 30,
        silence_seconds=5.0 if stop == "max" else 0.5,
        stop_digits="#",
    )
    pair.step(30)
    if stop == "digit":
        pair.b.queue_dtmf("#")
    elif stop == "hangup":
        pair.a.shutdown("closed")
    pair.step(150)
    finished = [e for e in take(pair.a) if isinstance(e, RecordingFinished)]
    assert [e.ended_by for e in finished] == [ended_by]
    seconds = len(finished[0].pcm) / 8000
    expected = {
        "digit": (0.6, 0.75),
        "silence": (0.95, 1.1),
        "max": (1.5, 1.5),
        "hangup": (0.6, 0.6),
    }
    low, high = expected[stop]
    assert low <= seconds <= high
    assert not any(isinstance(e, DigitReceived) for e in pair.a.events)


def test_bridged_legs_relay_packets_without_decoding() -> None:
    leg1 = StreamCore(now=0, ssrc=0x111)
    leg2 = StreamCore(now=0, ssrc=0x222)
    leg1.configure(remote=A_ADDR, codec=Codec.PCMA, payload_type=8, dtmf_payload_type=101)
    leg2.configure(remote=B_ADDR, codec=Codec.PCMA, payload_type=8, dtmf_payload_type=96)
    leg1.set_relay(leg2)
    leg2.set_relay(leg1)
    assert leg1.tick(0.02) is None
    assert leg2.tick(0.02) is None
    payload = bytes(range(160))
    relayed = [
        leg1.receive_rtp(RtpPacket(8, seq, 1000 + 160 * seq, 0x999, payload).serialize(), A_ADDR, 0)
        for seq in range(3)
    ]
    packets = [RtpPacket.parse(p) for p in relayed if p is not None]
    assert [p.payload for p in packets] == [payload] * 3
    assert {(p.ssrc, p.payload_type) for p in packets} == {(0x222, 8)}
    assert [p.marker for p in packets] == [True, False, False]
    assert [
        (b.timestamp - a.timestamp) % 2**32 for a, b in zip(packets, packets[1:], strict=False)
    ] == [160, 160]
    event = RtpPacket(101, 3, 5000, 0x999, b"\x05\x0a\x00\xa0").serialize()
    relayed_event = leg1.receive_rtp(event, A_ADDR, 0)
    assert relayed_event is not None
    assert RtpPacket.parse(relayed_event).payload_type == 96
    assert take(leg1) == [DigitReceived("5", "rfc4733")]


def test_bridged_legs_transcode_between_alaw_and_ulaw() -> None:
    leg1 = StreamCore(now=0)
    leg2 = StreamCore(now=0)
    leg1.configure(remote=A_ADDR, codec=Codec.PCMA, payload_type=8, dtmf_payload_type=None)
    leg2.configure(remote=B_ADDR, codec=Codec.PCMU, payload_type=0, dtmf_payload_type=None)
    leg1.set_relay(leg2)
    leg2.set_relay(leg1)
    audio = sine(0.02, level=10000)
    out = leg1.receive_rtp(RtpPacket(8, 1, 0, 5, encode(Codec.PCMA, audio)).serialize(), A_ADDR, 0)
    assert out is not None
    packet = RtpPacket.parse(out)
    assert packet.payload_type == 0
    assert np.corrcoef(decode(Codec.PCMU, packet.payload), audio)[0, 1] > 0.999


def test_media_source_is_latched_after_two_packets_in_sequence() -> None:
    core = StreamCore(now=0)
    core.configure(
        remote=("192.0.2.9", 9000), codec=Codec.PCMU, payload_type=0, dtmf_payload_type=None
    )
    natted = ("198.51.100.7", 7000)
    core.receive_rtp(RtpPacket(8, 1, 0, 5, b"x" * 160).serialize(), natted, 0)  # wrong type
    core.receive_rtp(RtpPacket(0, 2, 0, 5, b"x" * 160).serialize(), natted, 0)
    assert core.remote == ("192.0.2.9", 9000)  # one packet is not enough
    core.receive_rtp(RtpPacket(0, 3, 160, 5, b"x" * 160).serialize(), natted, 0)
    assert core.remote == natted
    core.receive_rtp(RtpPacket(0, 4, 320, 5, b"y" * 160).serialize(), ("198.51.100.8", 8000), 0)
    assert core.remote == natted
    assert core.ignored_rtp == 2
    assert core.rtcp_target() == ("198.51.100.7", 7001)


def test_media_from_the_sdp_address_is_latched_at_once() -> None:
    core = StreamCore(now=0)
    core.configure(remote=B_ADDR, codec=Codec.PCMU, payload_type=0, dtmf_payload_type=None)
    core.receive_rtp(RtpPacket(0, 9, 0, 5, b"x" * 160).serialize(), ("203.0.113.5", 1), 0)
    core.receive_rtp(RtpPacket(0, 1, 0, 5, b"x" * 160).serialize(), B_ADDR, 0)
    core.receive_rtp(RtpPacket(0, 10, 0, 5, b"x" * 160).serialize(), ("203.0.113.5", 1), 0)
    assert core.remote == B_ADDR
    assert core.ignored_rtp == 1


def test_silence_from_the_remote_times_the_stream_out() -> None:
    pair = Pair()
    pair.step(10)
    pair.b_muted = True
    pair.step(99)
    assert take(pair.a) == []
    pair.step(2)
    assert take(pair.a) == [StreamClosed("rtp_timeout")]
    assert pair.a.closed_reason == "rtp_timeout"
    bye = rtcp.parse_compound(pair.a.rtcp_outbox[-1])
    assert isinstance(bye[-1], rtcp.Bye)
    assert bye[-1].sources == (0xA,)


def test_hold_stops_sending_and_suspends_the_timeout() -> None:
    pair = Pair()
    pair.step(2)
    pair.a.set_hold(True)
    pair.b_muted = True
    count = len(pair.sent_by_a)
    pair.step(200)
    assert len(pair.sent_by_a) == count
    assert take(pair.a) == []
    pair.a.set_hold(False)
    pair.step(1)
    assert RtpPacket.parse(pair.sent_by_a[-1]).marker


def test_sender_and_receiver_reports_flow_every_few_seconds() -> None:
    pair = Pair()
    pair.step(400)  # 8 s: at least one report each, at most 1.5 * 5 s apart
    reports_a = [rtcp.parse_compound(d) for d in pair.a.rtcp_outbox]
    assert reports_a
    sr = reports_a[0][0]
    assert isinstance(sr, rtcp.SenderReport)
    assert sr.ssrc == 0xA
    assert sr.packet_count > 100
    assert isinstance(reports_a[0][1], rtcp.SourceDescription)
    pair.b.receive_rtcp(pair.a.rtcp_outbox[0], A_ADDR, pair.now)
    pair.a.rtcp_outbox.clear()
    pair.b.rtcp_outbox.clear()
    pair.step(400)
    report = rtcp.parse_compound(pair.b.rtcp_outbox[0])[0]
    assert isinstance(report, rtcp.SenderReport)
    [block] = report.reports
    assert block.ssrc == 0xA
    assert block.last_sr == (sr.ntp_timestamp >> 16) & 0xFFFFFFFF
    assert block.cumulative_lost == 0
    assert block.fraction_lost == 0
    assert block.highest_sequence > 65536  # a's sequence wrapped: extended count


def test_malformed_datagrams_are_counted_not_raised() -> None:
    pair = Pair()
    for junk in (
        b"",
        b"\x80",
        b"\x00" * 20,
        b"\xbf" + bytes(11),
        b"\x90" + bytes(11) + b"\x00\x00\x00\x09",
    ):
        assert pair.a.receive_rtp(junk, B_ADDR, 0) is None
    pair.a.receive_rtp(RtpPacket(101, 1, 2, 3, b"\x01").serialize(), B_ADDR, 0)  # short event
    for junk in (b"", b"\x80\xc9\x00\x09", b"\xff" * 8):
        pair.a.receive_rtcp(junk, B_ADDR, 0)
    assert pair.a.malformed_rtp == 6
    assert pair.a.malformed_rtcp == 3
    pair.step(20)
    assert take(pair.a) == []


def test_in_band_tones_are_sent_when_no_telephone_event_was_agreed() -> None:
    pair = Pair(Codec.PCMA, dtmf=None)
    pair.step(3)
    pair.b.queue_dtmf("8")
    detector = DtmfDetector()
    keys = []
    for _ in range(15):
        pair.step(1)
        if pair.a.frame is not None:
            frame = np.frombuffer(pair.a.frame, dtype=np.uint8)[None, :]
            index = detector.classify(frame, Codec.PCMA)[0]
            pair.a.feed_tone(key_for(index) if index >= 0 else "")
    keys = [e for e in take(pair.a) if isinstance(e, DigitReceived)]
    assert keys == [DigitReceived("8", "inband")]


def test_rfc4733_from_the_remote_turns_in_band_detection_off() -> None:
    pair = Pair()
    pair.step(5)
    assert pair.a.inband
    assert pair.a.frame is not None
    pair.b.queue_dtmf("1")
    pair.step(5)
    assert not pair.a.inband
    pair.step(20)
    assert pair.a.frame is None


def test_unbridged_leg_resumes_its_own_audio_with_a_marker() -> None:
    leg1, leg2 = StreamCore(now=0), StreamCore(now=0)
    leg1.configure(remote=A_ADDR, codec=Codec.PCMU, payload_type=0, dtmf_payload_type=None)
    leg2.configure(remote=B_ADDR, codec=Codec.PCMU, payload_type=0, dtmf_payload_type=None)
    assert leg1.tick(0.02) is not None
    leg1.set_relay(leg2)
    assert leg1.tick(0.04) is None
    leg1.set_relay(None)
    resumed = leg1.tick(0.06)
    assert resumed is not None
    assert RtpPacket.parse(resumed).marker


def test_a_reinvite_with_the_same_address_keeps_the_latched_source() -> None:
    core = StreamCore(now=0)
    sdp = ("10.1.1.1", 9000)
    core.configure(remote=sdp, codec=Codec.PCMU, payload_type=0, dtmf_payload_type=None)
    natted = ("198.51.100.7", 7000)
    for seq in (1, 2):
        core.receive_rtp(RtpPacket(0, seq, 0, 5, b"x" * 160).serialize(), natted, 0)
    core.configure(remote=sdp, codec=Codec.PCMA, payload_type=8, dtmf_payload_type=None)
    assert core.remote == natted
    core.configure(
        remote=("10.1.1.2", 9002), codec=Codec.PCMA, payload_type=8, dtmf_payload_type=None
    )
    assert core.remote == ("10.1.1.2", 9002)
