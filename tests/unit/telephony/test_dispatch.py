"""The front's routing: Call-ID extraction, hashing, pinning and envelopes (no sockets)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from careline.telephony.sip.dispatch import (
    Dispatcher,
    call_id_of,
    hello,
    hello_index,
    is_request,
    owner_by_hash,
    unwrap,
    wrap,
)
from careline.telephony.workers import port_slices

INVITE = (
    b"INVITE sip:100@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKa\r\n"
    b"From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:100@127.0.0.1>\r\n"
    b"Call-ID: %s\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
)


def _invite(call_id: bytes) -> bytes:
    return INVITE % call_id


def test_call_id_long_and_compact_forms_any_case() -> None:
    assert call_id_of(_invite(b"abc@host")) == b"abc@host"
    assert call_id_of(b"BYE sip:x SIP/2.0\r\ni: short-1\r\n\r\n") == b"short-1"
    assert call_id_of(b"BYE sip:x SIP/2.0\r\nCALL-ID:   spaced\t\r\n\r\n") == b"spaced"


def test_call_id_is_not_taken_from_the_body_or_other_headers() -> None:
    body_only = b"MESSAGE sip:x SIP/2.0\r\nVia: x\r\n\r\ni: in-the-body\r\nCall-ID: no\r\n"
    assert call_id_of(body_only) is None
    assert call_id_of(b"INVITE sip:x SIP/2.0\r\nX-Call-ID: fake\r\nVia: i: no\r\n\r\n") is None
    assert call_id_of(b"\r\n\r\n") is None


def test_same_call_id_always_goes_to_the_same_worker() -> None:
    dispatcher = Dispatcher(4)
    first = dispatcher.inbound(_invite(b"call-0"), 0.0)
    bye = dispatcher.inbound(_invite(b"call-0").replace(b"INVITE", b"BYE"), 5.0)
    compact = dispatcher.inbound(b"ACK sip:x SIP/2.0\r\ni: call-0\r\n\r\n", 6.0)
    assert first == bye == compact == owner_by_hash(b"call-0", 4)
    assert Dispatcher(4).inbound(_invite(b"call-0"), 0.0) == first  # stable across processes


def test_many_call_ids_from_one_source_spread_over_every_worker() -> None:
    dispatcher = Dispatcher(3)
    for n in range(300):
        dispatcher.inbound(_invite(b"%d-1234@127.0.0.1" % n), 0.0)
    assert all(count > 60 for count in dispatcher.routed)  # about 100 each, never all on one


def test_datagram_without_call_id_is_dropped() -> None:
    dispatcher = Dispatcher(2)
    assert dispatcher.inbound(b"\r\n\r\n", 0.0) is None
    assert dispatcher.routed == [0, 0]


def test_dialog_started_by_a_worker_is_pinned_to_it_until_idle() -> None:
    dispatcher = Dispatcher(2)
    call_id = next(b"out-%d" % n for n in range(100) if owner_by_hash(b"out-%d" % n, 2) == 0)
    dispatcher.outbound(1, _invite(call_id), now=0.0)  # worker 1 rings a trunk
    answer = b"SIP/2.0 200 OK\r\nCall-ID: " + call_id + b"\r\n\r\n"
    assert dispatcher.inbound(answer, 10.0) == 1
    assert dispatcher.pinned == 1
    dispatcher.pin_idle_seconds = 60.0
    assert dispatcher.prune(65.0) == 0  # the answer at 10 s kept it alive
    assert dispatcher.prune(71.0) == 1
    assert dispatcher.inbound(answer, 72.0) == 0


def test_responses_and_own_hash_requests_are_not_pinned() -> None:
    dispatcher = Dispatcher(2)
    own = next(b"own-%d" % n for n in range(100) if owner_by_hash(b"own-%d" % n, 2) == 1)
    dispatcher.outbound(1, _invite(own), 0.0)
    dispatcher.outbound(0, b"SIP/2.0 200 OK\r\nCall-ID: " + own + b"\r\n\r\n", 0.0)
    assert dispatcher.pinned == 0
    assert is_request(_invite(own))
    assert not is_request(b"SIP/2.0 180 Ringing\r\n\r\n")


def test_no_workers_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        Dispatcher(0)


@given(
    host=st.sampled_from(["127.0.0.1", "10.1.2.3", "::1"]),
    port=st.integers(1, 65535),
    payload=st.binary(max_size=300),
)
def test_envelope_round_trip(host: str, port: int, payload: bytes) -> None:
    assert unwrap(wrap((host, port), payload)) == ((host, port), payload, False)
    assert unwrap(wrap((host, port), payload, stream=True)) == ((host, port), payload, True)


def test_garbage_is_not_an_envelope_and_hello_is_recognised() -> None:
    assert unwrap(b"no newline here") is None
    assert unwrap(b"127.0.0.1 port\nINVITE") is None
    assert unwrap(b"127.0.0.1 5060 sctp\nINVITE") is None
    assert hello_index(hello(3)) == 3
    assert hello_index(b"HELLO x") is None
    assert hello_index(wrap(("127.0.0.1", 5), b"x")) is None


def test_port_slices_are_disjoint_even_pairs() -> None:
    slices = port_slices(20001, 20099, 3)
    assert slices == [(20002, 20033), (20034, 20065), (20066, 20097)]
    with pytest.raises(ValueError, match="fewer port pairs"):
        port_slices(20000, 20003, 3)
