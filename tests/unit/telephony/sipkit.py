"""Builders for SIP test messages and an in-memory wire between two endpoints."""

from __future__ import annotations

from careline.telephony.sip.endpoint import Event, SipEndpoint

ALICE = ("127.0.0.1", 5070)
CARELINE = ("127.0.0.1", 5060)

SDP_OFFER = (
    "v=0\r\n"
    "o=alice 1 1 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "c=IN IP4 127.0.0.1\r\n"
    "t=0 0\r\n"
    "m=audio 40000 RTP/AVP 0 8 96\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:96 telephone-event/8000\r\n"
    "a=fmtp:96 0-16\r\n"
    "a=sendrecv\r\n"
)


def request_text(
    method: str = "INVITE",
    *,
    branch: str = "z9hG4bKabc1",
    call_id: str = "call-1@alice",
    cseq: int = 1,
    to_tag: str = "",
    body: str = "",
    extra: str = "",
) -> bytes:
    """Return the bytes of a request from Alice to Careline."""
    to = "<sip:100@127.0.0.1>" + (f";tag={to_tag}" if to_tag else "")
    content = "Content-Type: application/sdp\r\n" if body else ""
    return (
        f"{method} sip:100@127.0.0.1:5060 SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:5070;branch={branch};rport\r\n"
        "Max-Forwards: 70\r\n"
        'From: "Alice" <sip:13800000000@127.0.0.1>;tag=alice1\r\n'
        f"To: {to}\r\n"
        f"Call-ID: {call_id}\r\n"
        f"CSeq: {cseq} {method}\r\n"
        "Contact: <sip:alice@127.0.0.1:5070>\r\n"
        f"{extra}{content}"
        f"Content-Length: {len(body.encode())}\r\n\r\n{body}"
    ).encode()


def drain(endpoint: SipEndpoint) -> list[Event]:
    """Return every pending event."""
    events = []
    while (event := endpoint.next_event()) is not None:
        events.append(event)
    return events


def first_line(datagram: bytes) -> str:
    return datagram.split(b"\r\n", 1)[0].decode()
