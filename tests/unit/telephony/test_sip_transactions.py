"""Transactions and retransmissions: two endpoints wired in memory, time passed by hand."""

from __future__ import annotations

from careline.telephony.sip.endpoint import (
    AckTimedOut,
    CancelReceived,
    RequestReceived,
    ResponseReceived,
    SipEndpoint,
    TransactionTimedOut,
)
from careline.telephony.sip.message import SipRequest, build_response, parse_message
from tests.unit.telephony.sipkit import ALICE, CARELINE, drain, first_line, request_text


def _pair() -> tuple[SipEndpoint, SipEndpoint]:
    return SipEndpoint(ALICE), SipEndpoint(CARELINE)


def _invite() -> SipRequest:
    request = parse_message(request_text())
    assert isinstance(request, SipRequest)
    request.headers.remove("via")
    return request


def _deliver(source: SipEndpoint, target: SipEndpoint, now: float) -> list[str]:
    lines = []
    for payload, _ in source.datagrams_to_send(now):
        lines.append(first_line(payload))
        target.receive_datagram(payload, source.local, now)
    return lines


def test_lost_invite_is_retransmitted_and_seen_once() -> None:
    alice, careline = _pair()
    alice.send_request(_invite(), CARELINE, 0.0)
    alice.datagrams_to_send(0.0)  # lost
    assert alice.get_timer() == 0.5
    alice.handle_timer(0.5)
    _deliver(alice, careline, 0.5)
    alice.handle_timer(1.5)
    _deliver(alice, careline, 1.5)
    events = drain(careline)
    assert [type(e) for e in events] == [RequestReceived]
    sent = [first_line(p) for p, _ in careline.datagrams_to_send(1.5)]
    assert sent == ["SIP/2.0 100 Trying", "SIP/2.0 100 Trying"]


def test_invite_retransmissions_double_until_timer_b() -> None:
    alice, _ = _pair()
    txn = alice.send_request(_invite(), CARELINE, 0.0)
    sends = len(alice.datagrams_to_send(0.0))
    while (when := alice.get_timer()) is not None:
        alice.handle_timer(when)
        sends += len(alice.datagrams_to_send(when))
    assert sends == 7  # 0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 then Timer B at 32
    assert drain(alice) == [TransactionTimedOut(txn)]


def test_non_invite_retransmissions_are_capped_at_t2() -> None:
    alice, _ = _pair()
    options = parse_message(request_text("OPTIONS"))
    assert isinstance(options, SipRequest)
    alice.send_request(options, CARELINE, 0.0)
    times = [0.0]
    alice.datagrams_to_send(0.0)
    while (when := alice.get_timer()) is not None:
        alice.handle_timer(when)
        if alice.datagrams_to_send(when):
            times.append(when)
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert gaps[:4] == [0.5, 1.0, 2.0, 4.0]
    assert max(gaps) == 4.0


def test_lost_200_is_retransmitted_until_ack_and_ack_repeated_for_copies() -> None:
    alice, careline = _pair()
    alice.send_request(_invite(), CARELINE, 0.0)
    _deliver(alice, careline, 0.0)
    (received,) = drain(careline)
    assert isinstance(received, RequestReceived)
    assert received.transaction is not None
    careline.respond(received.transaction, build_response(received.request, 200, to_tag="c1"), 0.1)
    careline.datagrams_to_send(0.1)  # 100 and 200 lost
    careline.handle_timer(0.6)
    assert _deliver(careline, alice, 0.6) == ["SIP/2.0 200 OK"]
    (answered,) = drain(alice)
    assert isinstance(answered, ResponseReceived)
    assert answered.response.status_code == 200
    ack = SipRequest(method="ACK", uri="sip:100@127.0.0.1:5060")
    for name in ("From", "Call-ID"):
        ack.headers.set_single(name, answered.response.headers.get_first(name) or "")
    ack.headers.set_single("To", answered.response.headers.get_first("to") or "")
    ack.headers.set_single("CSeq", "1 ACK")
    alice.send_ack(ack, CARELINE, 0.7)
    alice.datagrams_to_send(0.7)  # ACK lost
    careline.handle_timer(1.6)
    assert _deliver(careline, alice, 1.6) == ["SIP/2.0 200 OK"]
    assert drain(alice) == []  # the copy is absorbed...
    assert _deliver(alice, careline, 1.6) == ["ACK sip:100@127.0.0.1:5060 SIP/2.0"]  # ...re-ACKed
    (acked,) = drain(careline)
    assert isinstance(acked, RequestReceived)
    assert acked.transaction is None
    assert careline.get_timer() is None


def test_unacknowledged_200_reports_ack_timeout() -> None:
    alice, careline = _pair()
    alice.send_request(_invite(), CARELINE, 0.0)
    _deliver(alice, careline, 0.0)
    (received,) = drain(careline)
    assert received.transaction is not None  # type: ignore[union-attr]
    careline.respond(received.transaction, build_response(received.request, 200), 0.0)  # type: ignore[union-attr]
    while (when := careline.get_timer()) is not None:
        careline.handle_timer(when)
    assert AckTimedOut("call-1@alice") in drain(careline)


def test_failure_answer_is_acked_by_the_client_transaction() -> None:
    alice, careline = _pair()
    alice.send_request(_invite(), CARELINE, 0.0)
    _deliver(alice, careline, 0.0)
    (received,) = drain(careline)
    careline.respond(received.transaction, build_response(received.request, 486, to_tag="b"), 0.0)  # type: ignore[union-attr, arg-type]
    _deliver(careline, alice, 0.0)
    assert _deliver(alice, careline, 0.0) == ["ACK sip:100@127.0.0.1:5060 SIP/2.0"]
    assert drain(careline) == []  # hop-by-hop ACK absorbed by the server transaction
    careline.handle_timer(10.0)
    assert careline.transaction_count == 0


def test_cancel_before_answer_terminates_the_invite() -> None:
    alice, careline = _pair()
    invite = alice.send_request(_invite(), CARELINE, 0.0)
    _deliver(alice, careline, 0.0)
    (received,) = drain(careline)
    _deliver(careline, alice, 0.0)  # 100 Trying
    assert [type(e) for e in drain(alice)] == [ResponseReceived]
    alice.send_cancel(invite, 1.0)
    _deliver(alice, careline, 1.0)
    (cancelled,) = drain(careline)
    assert isinstance(cancelled, CancelReceived)
    careline.respond(cancelled.invite, build_response(received.request, 487, to_tag="b"), 1.0)  # type: ignore[union-attr]
    assert _deliver(careline, alice, 1.0) == [
        "SIP/2.0 200 OK",
        "SIP/2.0 487 Request Terminated",
    ]


def test_cancel_that_crosses_the_200_gets_481_and_no_event() -> None:
    alice, careline = _pair()
    invite = alice.send_request(_invite(), CARELINE, 0.0)
    _deliver(alice, careline, 0.0)
    (received,) = drain(careline)
    _deliver(careline, alice, 0.0)
    careline.respond(received.transaction, build_response(received.request, 200), 0.5)  # type: ignore[union-attr, arg-type]
    alice.send_cancel(invite, 0.5)
    _deliver(alice, careline, 0.5)
    assert drain(careline) == []
    assert "SIP/2.0 481 Call/Transaction Does Not Exist" in _deliver(careline, alice, 0.5)


def test_repeated_register_gets_the_same_final_without_a_new_event() -> None:
    careline = SipEndpoint(CARELINE)
    register = request_text("REGISTER")
    careline.receive_datagram(register, ALICE, 0.0)
    (received,) = drain(careline)
    careline.respond(received.transaction, build_response(received.request, 401), 0.0)  # type: ignore[union-attr, arg-type]
    careline.receive_datagram(register, ALICE, 0.2)
    assert drain(careline) == []
    sent = [first_line(p) for p, _ in careline.datagrams_to_send(0.2)]
    assert sent == ["SIP/2.0 401 Unauthorized", "SIP/2.0 401 Unauthorized"]


def test_reinvite_in_dialog_is_a_new_transaction() -> None:
    careline = SipEndpoint(CARELINE)
    careline.receive_datagram(request_text(), ALICE, 0.0)
    careline.receive_datagram(request_text(branch="z9hG4bKre2", cseq=2, to_tag="c1"), ALICE, 5.0)
    events = drain(careline)
    assert [e.request.headers.get_first("cseq") for e in events] == ["1 INVITE", "2 INVITE"]  # type: ignore[union-attr]


def test_malformed_request_gets_400_and_garbage_is_dropped() -> None:
    careline = SipEndpoint(CARELINE)
    careline.receive_datagram(request_text().replace(b"CSeq: 1 INVITE", b"CSeq: one"), ALICE, 0)
    careline.receive_datagram(b"\x00\xffnot sip at all", ALICE, 0)
    careline.receive_datagram(request_text(), ALICE, 0)
    sent = [first_line(p) for p, _ in careline.datagrams_to_send(0)]
    assert sent == ["SIP/2.0 400 Bad Request", "SIP/2.0 100 Trying"]
    assert [type(e) for e in drain(careline)] == [RequestReceived]


def test_ringing_invite_is_not_timed_out_by_timer_b() -> None:
    alice, careline = _pair()
    invite = alice.send_request(_invite(), CARELINE, 0.0)
    _deliver(alice, careline, 0.0)
    _deliver(careline, alice, 0.0)  # 100 Trying
    alice.handle_timer(120.0)
    assert [type(e) for e in drain(alice)] == [ResponseReceived]
    alice.abandon(invite)
    assert drain(alice) == [TransactionTimedOut(invite)]
    assert alice.transaction_count == 0
