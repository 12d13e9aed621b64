"""RTP and RTCP wire types: round trips and malformed packets."""

import struct

import pytest

from careline.telephony.media import rtcp
from careline.telephony.media.rtp import MalformedPacket, RtpPacket, seq_delta


@pytest.mark.parametrize(
    "packet",
    [
        RtpPacket(0, 1, 2, 3, b"\xff" * 160),
        RtpPacket(8, 65535, 0xFFFFFFFF, 0xDEADBEEF, b"abc", marker=True),
        RtpPacket(101, 7, 8, 9, b"\x05\x0a\x00\xa0", csrc=(1, 2, 3)),
        RtpPacket(0, 1, 2, 3, b"x", extension=(0xBEDE, b"\x10\x01\x00\x00")),
        RtpPacket(0, 1, 2, 3, b"payload", padding=4, csrc=(42,), extension=(1, b"")),
    ],
)
def test_rtp_round_trips(packet: RtpPacket) -> None:
    assert RtpPacket.parse(packet.serialize()) == packet


def test_rtp_header_fields_on_the_wire() -> None:
    data = RtpPacket(8, 0x1234, 0x01020304, 0x0A0B0C0D, b"\xd5", marker=True).serialize()
    assert data == b"\x80\x88\x12\x34\x01\x02\x03\x04\x0a\x0b\x0c\x0d\xd5"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x80\x00\x00",
        b"\x40" + bytes(15),  # version 1
        b"\x83" + bytes(15),  # three CSRC identifiers announced, one present
        b"\x90" + bytes(11),  # extension bit without the extension header
        b"\x90" + bytes(11) + b"\x00\x00\x00\x05" + bytes(4),  # extension longer than the packet
        b"\xa0" + bytes(11) + b"\x00",  # padding length 0
        b"\xa0" + bytes(11) + b"\x20",  # padding longer than the payload
    ],
)
def test_malformed_rtp_is_refused(data: bytes) -> None:
    with pytest.raises(MalformedPacket):
        RtpPacket.parse(data)


@pytest.mark.parametrize(
    ("seq", "reference", "delta"),
    [(5, 3, 2), (3, 5, -2), (0, 65535, 1), (65535, 0, -1), (32767, 0, 32767), (32768, 0, -32768)],
)
def test_seq_delta_wraps(seq: int, reference: int, delta: int) -> None:
    assert seq_delta(seq, reference) == delta


BLOCK = rtcp.ReportBlock(0x11223344, 12, -3, 70000, 42, 0xAABBCCDD, 65536)


@pytest.mark.parametrize(
    "packet",
    [
        rtcp.SenderReport(1, 0x0102030405060708, 160, 10, 1600, (BLOCK,)),
        rtcp.SenderReport(1, 5, 6, 7, 8),
        rtcp.ReceiverReport(2, (BLOCK, BLOCK)),
        rtcp.ReceiverReport(2),
        rtcp.SourceDescription(((3, "careline@127.0.0.1"), (4, "x"), (5, ""))),
        rtcp.Bye((6, 7), "rtp timeout"),
        rtcp.Bye((8,)),
    ],
)
def test_rtcp_packets_round_trip(packet: rtcp.RtcpPacket) -> None:
    data = packet.serialize()
    assert len(data) % 4 == 0
    assert type(packet).parse(data) == packet
    assert rtcp.parse_compound(data) == [packet]


def test_compound_with_unknown_type_keeps_known_packets() -> None:
    app = struct.pack("!BBH", 0x80, 204, 2) + b"name" + b"data"
    report = rtcp.ReceiverReport(9, (BLOCK,))
    bye = rtcp.Bye((9,))
    assert rtcp.parse_compound(report.serialize() + app + bye.serialize()) == [report, bye]


def test_cumulative_lost_is_signed_24_bits() -> None:
    block = rtcp.ReportBlock(1, 0, -0x800000, 0, 0, 0, 0)
    assert rtcp.ReportBlock.parse(block.serialize()).cumulative_lost == -0x800000


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x80\xc9",
        b"\x40\xc9\x00\x01" + bytes(4),  # version 1
        b"\x81\xc9\x00\x01" + bytes(4),  # RR announces a block it does not hold
        b"\x80\xc9\x00\x05" + bytes(4),  # length beyond the datagram
        b"\x80\xc8\x00\x01" + bytes(4),  # SR without sender info
        b"\xa0\xc9\x00\x01" + bytes(4) + rtcp.Bye((1,)).serialize(),  # padding not last
        b"\x80\x10\x00\x01" + bytes(4),  # not an RTCP packet type
        b"\x81\xca\x00\x02" + bytes(4) + b"\x01\x09ab",  # SDES item past the end
        b"\x82\xcb\x00\x01" + bytes(4),  # BYE with two sources, one present
        rtcp.ReceiverReport(1).serialize() + b"\x80",
    ],
)
def test_malformed_rtcp_is_refused(data: bytes) -> None:
    with pytest.raises(MalformedPacket):
        rtcp.parse_compound(data)
