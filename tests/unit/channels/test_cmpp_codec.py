"""CMPP 2.0 codec: round trips, the login authenticator, framing and a fuzzed decoder."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from careline.channels.sms import cmpp_codec as codec
from careline.channels.sms.segments import Alphabet, parse_udh, split_text

# md5sum of b"901234" + 9 NUL + b"secret" + b"1125143000", computed outside Python.
AUTH_HEX = "94dc98a67b5ca97558cecad52dd273d3"
# md5sum of b"\x00" + the bytes above + b"secret".
ISMG_AUTH_HEX = "fd345bc40e8002b9587b2b5193ebd0b1"


def test_authenticator_matches_hand_computed_md5() -> None:
    auth = codec.authenticator_source("901234", "secret", "1125143000")
    assert auth.hex() == AUTH_HEX


def test_gateway_authenticator_matches_hand_computed_md5() -> None:
    assert codec.authenticator_ismg(0, bytes.fromhex(AUTH_HEX), "secret").hex() == ISMG_AUTH_HEX


def test_timestamp_is_month_day_hour_minute_second() -> None:
    assert codec.timestamp_of(datetime(2026, 1, 5, 7, 8, 9)) == "0105070809"


def test_connect_frame_layout() -> None:
    auth = bytes.fromhex(AUTH_HEX)
    frame = codec.encode(codec.Connect("901234", auth, 1125143000), 7)
    assert len(frame) == 12 + 6 + 16 + 1 + 4
    assert frame[:12] == (39).to_bytes(4, "big") + (1).to_bytes(4, "big") + (7).to_bytes(4, "big")
    assert frame[12:18] == b"901234"
    assert frame[34] == 0x20
    assert int.from_bytes(frame[35:39], "big") == 1125143000


@pytest.mark.parametrize(
    "pdu",
    [
        codec.Connect("901234", b"\x01" * 16, 1125143000),
        codec.ConnectResp(0, b"\x02" * 16),
        codec.Submit(
            ("13800138000", "13900139000"),
            "你好".encode("utf-16-be"),
            8,
            "10690001",
            msg_src="901234",
            pk_total=2,
            pk_number=1,
            tp_udhi=1,
        ),
        codec.SubmitResp(0x1234_5678_9ABC_DEF0, 0),
        codec.Deliver(99, "10690001", "13800138000", b"hi", msg_fmt=0),
        codec.DeliverResp(99, 0),
        codec.ActiveTest(),
        codec.ActiveTestResp(),
        codec.Terminate(),
        codec.TerminateResp(),
    ],
)
def test_every_pdu_round_trips(pdu: codec.Pdu) -> None:
    sequence, decoded = codec.decode(codec.encode(pdu, 0xFFFF_FFF0))
    assert sequence == 0xFFFF_FFF0
    assert decoded == pdu


def test_status_report_rides_in_a_deliver() -> None:
    report = codec.StatusReport(42, "DELIVRD", "2611251200", "2611251201", "13800138000", 5)
    deliver = codec.Deliver(1, "10690001", "13800138000", report.serialize(), registered_delivery=1)
    _, decoded = codec.decode(codec.encode(deliver, 3))
    assert isinstance(decoded, codec.Deliver)
    assert len(report.serialize()) == 60
    assert decoded.status_report() == report


def test_mobile_originated_deliver_is_not_a_report() -> None:
    assert codec.Deliver(1, "1069", "138", b"x").status_report() is None


def test_chinese_long_text_becomes_ucs2_segments_with_udh() -> None:
    text = "请您于明天上午九点到门诊三楼内科就诊，" * 5  # 95 characters
    alphabet, segments = split_text(text, 0x5A, alphabet=Alphabet.UCS2)
    assert alphabet is Alphabet.UCS2
    assert [s.total for s in segments] == [2, 2]
    assert segments[0].payload[:6] == bytes([0x05, 0x00, 0x03, 0x5A, 2, 1])
    assert segments[1].payload[:6] == bytes([0x05, 0x00, 0x03, 0x5A, 2, 2])
    assert len(segments[0].payload) == 6 + 67 * 2
    joined = b"".join(s.payload[6:] for s in segments).decode("utf-16-be")
    assert joined == text
    submit = codec.Submit(
        ("13800138000",), segments[1].payload, 8, "1069", tp_udhi=1, pk_total=2, pk_number=2
    )
    _, decoded = codec.decode(codec.encode(submit, 1))
    assert isinstance(decoded, codec.Submit)
    assert parse_udh(decoded.content) == (0x5A, 2, 2, segments[1].payload[6:])


def test_frame_buffer_joins_split_reads_and_splits_joined_frames() -> None:
    frames = codec.encode(codec.ActiveTest(), 1) + codec.encode(codec.SubmitResp(5, 0), 2)
    buffer = codec.FrameBuffer()
    assert buffer.feed(frames[:5]) == []
    whole = buffer.feed(frames[5:])
    assert [codec.decode(frame)[0] for frame in whole] == [1, 2]


def test_impossible_length_is_a_decode_error() -> None:
    with pytest.raises(codec.CmppDecodeError):
        codec.FrameBuffer().feed(b"\x00\x00\x00\x03garbage")


def test_truncated_body_is_a_decode_error() -> None:
    frame = codec.encode(codec.SubmitResp(5, 0), 2)
    short = (len(frame) - 1).to_bytes(4, "big") + frame[4:-1]
    with pytest.raises(codec.CmppDecodeError):
        codec.decode(short)


def test_unknown_command_is_a_decode_error() -> None:
    with pytest.raises(codec.CmppDecodeError, match="unknown Command_Id"):
        codec.decode(b"\x00\x00\x00\x0c\x00\x00\x00\x63\x00\x00\x00\x01")


_KNOWN = st.sampled_from(
    [1, 2, 4, 5, 8, 0x80000001, 0x80000002, 0x80000004, 0x80000005, 0x80000008]
)


@st.composite
def _frames(draw: st.DrawFn) -> bytes:
    body = draw(st.binary(max_size=300))
    command = draw(st.one_of(_KNOWN, st.integers(0, 2**32 - 1)))
    length = draw(st.one_of(st.just(12 + len(body)), st.integers(0, 2**32 - 1)))
    return (
        length.to_bytes(4, "big")
        + command.to_bytes(4, "big")
        + draw(st.binary(min_size=4, max_size=4))
        + body
    )


@settings(max_examples=400, deadline=None)
@given(_frames())
def test_decoder_raises_only_decode_errors(frame: bytes) -> None:
    try:
        codec.decode(frame)
    except codec.CmppDecodeError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=80), max_size=6))
def test_frame_buffer_raises_only_decode_errors(chunks: list[bytes]) -> None:
    buffer = codec.FrameBuffer()
    for chunk in chunks:
        try:
            for frame in buffer.feed(chunk):
                try:
                    codec.decode(frame)
                except codec.CmppDecodeError:
                    pass
        except codec.CmppDecodeError:
            buffer = codec.FrameBuffer()
