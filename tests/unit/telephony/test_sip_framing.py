"""Cutting a TCP byte stream into SIP messages."""

from __future__ import annotations

import pytest

from careline.telephony.sip.framing import FramingError, StreamFramer
from tests.unit.telephony.sipkit import SDP_OFFER, request_text


def test_messages_split_across_reads_come_out_whole() -> None:
    first, second = request_text(body=SDP_OFFER), request_text("OPTIONS", cseq=2)
    stream = b"\r\n" + first + second
    framer = StreamFramer()
    out = []
    for start in range(0, len(stream), 7):
        out += framer.feed(stream[start : start + 7])
    assert out == [first, second]


def test_message_without_content_length_is_refused_on_a_stream() -> None:
    text = request_text().replace(b"Content-Length: 0\r\n", b"")
    with pytest.raises(FramingError):
        StreamFramer().feed(text)


def test_endless_headers_and_huge_bodies_are_refused() -> None:
    with pytest.raises(FramingError):
        StreamFramer().feed(b"INVITE sip:a@b SIP/2.0\r\nX: " + b"y" * 20000)
    with pytest.raises(FramingError):
        StreamFramer().feed(request_text().replace(b"Content-Length: 0", b"l: 999999"))
