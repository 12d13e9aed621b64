"""Parsing and validation of SIP messages."""

from __future__ import annotations

import pytest

from careline.telephony.sip.message import SipParseError, build_response, parse_message, user_part
from tests.unit.telephony.sipkit import request_text


def test_valid_invite_is_parsed_with_its_body() -> None:
    message = parse_message(request_text(body="v=0\r\n"))
    assert message.method == "INVITE"  # type: ignore[union-attr]
    assert message.body == b"v=0\r\n"


def test_compact_headers_are_expanded() -> None:
    text = (
        b"OPTIONS sip:100@127.0.0.1 SIP/2.0\r\n"
        b"v: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\n"
        b"f: <sip:a@127.0.0.1>;tag=1\r\nt: <sip:100@127.0.0.1>\r\ni: x1\r\n"
        b"CSeq: 2 OPTIONS\r\nl: 0\r\n\r\n"
    )
    message = parse_message(text)
    assert message.call_id == "x1"


@pytest.mark.parametrize(
    ("mutation", "status"),
    [
        (lambda t: t.replace(b"SIP/2.0\r\n", b"SIP/7.0\r\n", 1), 505),
        (lambda t: t.replace(b"CSeq: 1 INVITE", b"CSeq: 1 BYE"), 400),
        (lambda t: t.replace(b"CSeq: 1 INVITE", b"CSeq: x INVITE"), 400),
        (lambda t: t.replace(b"Call-ID: call-1@alice\r\n", b""), 400),
        (lambda t: t.replace(b"INVITE sip:", b"INVITE http:", 1), 416),
        (lambda t: t.replace(b"Max-Forwards: 70", b"Max-Forwards: 7x"), 400),
        (lambda t: t.replace(b"Content-Length: 0", b"Content-Length: 40"), 400),
    ],
)
def test_invalid_requests_are_refused_with_a_status(mutation, status: int) -> None:
    with pytest.raises(SipParseError) as caught:
        parse_message(mutation(request_text()))
    assert caught.value.status == status


def test_response_copies_dialog_headers_and_adds_to_tag() -> None:
    request = parse_message(request_text())
    response = build_response(request, 486, to_tag="t9")  # type: ignore[arg-type]
    wire = bytes(response)
    assert wire.startswith(b"SIP/2.0 486 Busy Here\r\n")
    assert b"To: <sip:100@127.0.0.1>;tag=t9" in wire
    assert b"CSeq: 1 INVITE" in wire


@pytest.mark.parametrize(
    ("value", "user"),
    [
        ('"Alice" <sip:13800000000@127.0.0.1>;tag=1', "13800000000"),
        ("<sip:+8613800000000;cpc=ordinary@10.0.0.1;user=phone>;tag=x", "+8613800000000"),
        ("sip:2001@127.0.0.1:5060;tag=9", "2001"),
        ("<tel:+862150000000;phone-context=x>", "+862150000000"),
        ("sip:100@127.0.0.1:5060", "100"),
        ("<sip:127.0.0.1>", ""),
    ],
)
def test_user_part_reads_numbers_with_user_parameters(value: str, user: str) -> None:
    assert user_part(value) == user
