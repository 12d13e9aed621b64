"""No datagram, however malformed, makes the RTP or RTCP code raise anything else."""

import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from careline.telephony.media import rtcp
from careline.telephony.media.core import StreamCore
from careline.telephony.media.g711 import Codec
from careline.telephony.media.jitter import JitterBuffer
from careline.telephony.media.rtp import MalformedPacket, RtpPacket

REMOTE = ("192.0.2.1", 4000)

# Mostly-plausible headers reach deeper than uniform random bytes.
rtp_like = st.builds(
    lambda first, pt, rest: bytes([first, pt]) + rest,
    st.integers(0x80, 0xBF) | st.integers(0, 255),
    st.sampled_from([0, 8, 101, 0x80, 0xE5]) | st.integers(0, 255),
    st.binary(max_size=200),
)
rtcp_like = st.builds(
    lambda first, kind, words, rest: struct.pack("!BBH", first, kind, words) + rest,
    st.integers(0x80, 0xBF) | st.integers(0, 255),
    st.integers(199, 205),
    st.integers(0, 12),
    st.binary(max_size=80),
)


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300) | rtp_like)
def test_rtp_parser_raises_only_malformed_packet(data: bytes) -> None:
    try:
        packet = RtpPacket.parse(data)
    except MalformedPacket:
        return
    assert RtpPacket.parse(packet.serialize()) == packet


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300) | rtcp_like | st.lists(rtcp_like, max_size=3).map(b"".join))
def test_rtcp_parser_raises_only_malformed_packet(data: bytes) -> None:
    try:
        packets = rtcp.parse_compound(data)
    except MalformedPacket:
        return
    assert all(isinstance(p, rtcp.RtcpPacket) for p in packets)


@settings(max_examples=300, deadline=None)
@given(st.lists(rtp_like | rtcp_like, max_size=20))
def test_stream_core_survives_any_datagrams(datagrams: list[bytes]) -> None:
    core = StreamCore(now=0.0)
    core.configure(remote=REMOTE, codec=Codec.PCMU, payload_type=0, dtmf_payload_type=101)
    for index, data in enumerate(datagrams):
        core.receive_rtp(data, REMOTE, index * 0.02)
        core.receive_rtcp(data, REMOTE, index * 0.02)
        core.tick(index * 0.02)
    assert core.closed_reason is None


@settings(max_examples=300, deadline=None)
@given(
    st.integers(0, 65535),
    st.lists(st.tuples(st.integers(0, 60), st.booleans()), max_size=80),
)
def test_jitter_buffer_plays_each_packet_once_in_order(
    start: int, arrivals: list[tuple[int, bool]]
) -> None:
    buffer = JitterBuffer(depth=2, capacity=12)
    played: list[int] = []
    for offset, pop_now in arrivals:
        buffer.push((start + offset) & 0xFFFF, offset.to_bytes(1, "big"))
        if pop_now:
            payload = buffer.pop()
            if payload is not None:
                played.append(payload[0])
    for _ in range(len(arrivals) + 2):
        payload = buffer.pop()
        if payload is not None:
            played.append(payload[0])
    assert played == sorted(set(played))
