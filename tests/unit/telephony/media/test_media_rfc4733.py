"""RFC 4733 telephone-events: one report per key press, and the packets a key is sent as."""

import pytest

from careline.telephony.media.dtmf import (
    DIGITS,
    Rfc4733Receiver,
    Rfc4733Sender,
    TelephoneEvent,
)
from careline.telephony.media.rtp import MalformedPacket


def event(code: int, duration: int, *, end: bool = False) -> bytes:
    return TelephoneEvent(code, end, 10, duration).serialize()


def test_event_payload_round_trips() -> None:
    payload = TelephoneEvent(11, True, 63, 0xFFFF).serialize()
    assert payload == b"\x0b\xbf\xff\xff"
    assert TelephoneEvent.parse(payload) == TelephoneEvent(11, True, 63, 0xFFFF)


def test_short_event_payload_is_malformed() -> None:
    with pytest.raises(MalformedPacket):
        TelephoneEvent.parse(b"\x01\x02")


def test_updates_and_three_end_packets_report_the_key_once() -> None:
    receiver = Rfc4733Receiver()
    packets = [event(5, 160 * n) for n in range(1, 6)] + [event(5, 800, end=True)] * 3
    reported = [receiver.receive(1000, payload) for payload in packets]
    assert reported == ["5"] + [None] * 7


def test_same_key_twice_is_two_presses() -> None:
    receiver = Rfc4733Receiver()
    first = [receiver.receive(1000, p) for p in (event(1, 160), event(1, 320, end=True))]
    second = [receiver.receive(3000, p) for p in (event(1, 160), event(1, 320, end=True))]
    assert first == ["1", None]
    assert second == ["1", None]


def test_lost_start_still_reports_the_key() -> None:
    receiver = Rfc4733Receiver()
    assert receiver.receive(500, event(11, 800, end=True)) == "#"
    assert receiver.receive(500, event(11, 800, end=True)) is None


def test_late_straggler_of_an_earlier_event_is_ignored() -> None:
    receiver = Rfc4733Receiver()
    assert receiver.receive(1000, event(2, 160)) == "2"
    assert receiver.receive(5000, event(3, 160)) == "3"
    assert receiver.receive(1000, event(2, 800, end=True)) is None


def test_long_press_segments_are_one_key() -> None:
    receiver = Rfc4733Receiver()
    assert receiver.receive(0, event(9, 0xFFFF)) == "9"
    # §2.5.1.3: the next segment starts where the previous duration ended.
    assert receiver.receive(0xFFFF, event(9, 160)) is None
    assert receiver.receive(0xFFFF, event(9, 480, end=True)) is None


def test_non_key_events_are_not_reported() -> None:
    receiver = Rfc4733Receiver()
    assert receiver.receive(100, event(32, 160)) is None  # fax CED tone, not a key
    assert receiver.receive(900, event(16, 160)) is None  # flash


def test_sender_paces_events_with_growing_duration_and_three_ends() -> None:
    sender = Rfc4733Sender(duration_ms=100, gap_ms=40)
    sender.queue("#")
    packets = [sender.next_packet(7000 + 160 * tick) for tick in range(10)]
    sent = [p for p in packets if p is not None]
    assert len(sent) == 8
    markers = [marker for marker, _, _ in sent]
    assert markers == [True] + [False] * 7
    assert {ts for _, ts, _ in sent} == {7000}  # every packet carries the event start
    events = [TelephoneEvent.parse(payload) for _, _, payload in sent]
    assert [e.duration for e in events] == [160, 320, 480, 640, 800, 800, 800, 800]
    assert [e.end for e in events] == [False] * 5 + [True] * 3
    assert {e.event for e in events} == {DIGITS.index("#")}
    assert packets[8:] == [None, None]  # the pause after the key carries audio


def test_sender_pauses_between_keys() -> None:
    sender = Rfc4733Sender(duration_ms=40, gap_ms=60)
    sender.queue("1")
    sender.queue("2")
    timeline = [sender.next_packet(160 * tick) for tick in range(14)]
    kinds = ["-" if p is None else TelephoneEvent.parse(p[2]).event for p in timeline]
    assert kinds == [1] * 5 + ["-"] * 3 + [2] * 5 + ["-"]
    second_start = timeline[8]
    assert second_start is not None
    assert second_start[0] is True
    assert second_start[1] == 8 * 160


def test_sender_refuses_unknown_keys() -> None:
    with pytest.raises(ValueError, match="not a DTMF key"):
        Rfc4733Sender().queue("x")


def test_sender_and_receiver_agree_on_every_key() -> None:
    sender, receiver = Rfc4733Sender(), Rfc4733Receiver()
    for key in DIGITS:
        sender.queue(key)
    heard = []
    for tick in range(len(DIGITS) * 12):
        packet = sender.next_packet(160 * tick)
        if packet is not None:
            reported = receiver.receive(packet[1], packet[2])
            if reported:
                heard.append(reported)
    assert "".join(heard) == DIGITS
