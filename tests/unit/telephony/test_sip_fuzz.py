"""Fuzzing the SIP parser, the SDP reader and the endpoint: nothing but refusals escape."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from careline.telephony.sip.endpoint import RequestReceived, SipEndpoint
from careline.telephony.sip.message import SipParseError, parse_message
from careline.telephony.sip.sdp import SdpError, negotiate, parse_sdp
from tests.unit.telephony.sipkit import ALICE, CARELINE, SDP_OFFER, request_text

VALID = request_text(body=SDP_OFFER)
SIP_ALPHABET = st.sampled_from(
    list(b"\r\n:;,<>\"' \t=@/.?%0123456789abcdefghijklmnopqrstuvwxyzSIPVIAZ-\\\x00\xff")
)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """Return the valid INVITE with a few bytes replaced, inserted or deleted."""
    data = bytearray(VALID)
    for _ in range(draw(st.integers(1, 8))):
        position = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["replace", "insert", "delete"]))
        byte = draw(SIP_ALPHABET)
        if action == "replace":
            data[position] = byte
        elif action == "insert":
            data.insert(position, byte)
        elif len(data) > 1:
            del data[position]
    return bytes(data)


@st.composite
def header_soup(draw: st.DrawFn) -> bytes:
    """Return a request line followed by random header lines."""
    line = draw(st.sampled_from([b"INVITE sip:1@h SIP/2.0", b"SIP/2.0 200 OK", b"BYE x SIP/2.0"]))
    names = st.sampled_from(
        [
            b"Via",
            b"v",
            b"From",
            b"To",
            b"t",
            b"Call-ID",
            b"CSeq",
            b"Contact",
            b"Content-Length",
            b"l",
            b"Max-Forwards",
            b"X",
        ]
    )
    values = st.binary(max_size=40)
    headers = draw(st.lists(st.tuples(names, values), max_size=12))
    text = line + b"\r\n" + b"".join(n + b": " + v + b"\r\n" for n, v in headers)
    return text + b"\r\n" + draw(st.binary(max_size=60))


def _parse_or_refuse(data: bytes) -> None:
    try:
        parse_message(data)
    except SipParseError:
        pass


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_only_raise_parse_errors(data: bytes) -> None:
    _parse_or_refuse(data)


@settings(max_examples=600, deadline=None)
@given(mutated())
def test_mutated_invites_only_raise_parse_errors(data: bytes) -> None:
    _parse_or_refuse(data)


@settings(max_examples=600, deadline=None)
@given(header_soup())
def test_random_headers_only_raise_parse_errors(data: bytes) -> None:
    _parse_or_refuse(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(mutated(), header_soup()), min_size=1, max_size=5))
def test_endpoint_survives_any_datagram_and_keeps_serving(datagrams: list[bytes]) -> None:
    endpoint = SipEndpoint(CARELINE)
    for number, data in enumerate(datagrams):
        endpoint.receive_datagram(data, ALICE, float(number))
        endpoint.handle_timer(float(number) + 0.5)
    while endpoint.next_event() is not None:
        pass
    endpoint.receive_datagram(request_text("OPTIONS", branch="z9hG4bKafter"), ALICE, 20.0)
    event = endpoint.next_event()
    assert isinstance(event, RequestReceived)
    assert event.request.method == "OPTIONS"


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=300))
def test_sdp_reader_only_raises_sdp_errors(text: str) -> None:
    try:
        negotiate(parse_sdp(SDP_OFFER[:40] + text))
    except SdpError:
        pass
