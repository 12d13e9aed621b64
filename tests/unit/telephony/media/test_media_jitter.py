"""Jitter buffer: reordering, late and duplicate drops, loss, underrun and wrap-around."""

from careline.telephony.media.jitter import JitterBuffer


def drain(buffer: JitterBuffer, ticks: int) -> list[bytes | None]:
    return [buffer.pop() for _ in range(ticks)]


def test_waits_for_depth_then_plays_in_order() -> None:
    buffer = JitterBuffer(depth=2)
    buffer.push(10, b"a")
    assert buffer.pop() is None
    buffer.push(11, b"b")
    buffer.push(12, b"c")
    assert drain(buffer, 3) == [b"a", b"b", b"c"]


def test_reorders_by_sequence_number() -> None:
    buffer = JitterBuffer(depth=3)
    for seq, payload in [(101, b"b"), (100, b"a"), (103, b"d"), (102, b"c")]:
        assert buffer.push(seq, payload)
    assert drain(buffer, 4) == [b"a", b"b", b"c", b"d"]


def test_drops_duplicates_and_late_packets() -> None:
    buffer = JitterBuffer(depth=1)
    buffer.push(1, b"a")
    assert not buffer.push(1, b"a")
    assert buffer.pop() == b"a"
    assert not buffer.push(1, b"a")  # already played
    assert buffer.push(2, b"b")
    assert (buffer.duplicates, buffer.late) == (1, 1)
    assert buffer.pop() == b"b"


def test_wraps_from_65535_to_0() -> None:
    buffer = JitterBuffer(depth=2)
    for seq, payload in [(65534, b"x"), (0, b"z"), (65535, b"y"), (1, b"w")]:
        buffer.push(seq, payload)
    assert drain(buffer, 4) == [b"x", b"y", b"z", b"w"]
    assert not buffer.push(65535, b"y")  # late after the wrap


def test_skips_a_lost_packet_when_later_ones_wait() -> None:
    buffer = JitterBuffer(depth=2)
    for seq in (5, 6, 8, 9):
        buffer.push(seq, bytes([seq]))
    assert drain(buffer, 5) == [b"\x05", b"\x06", None, b"\x08", b"\x09"]
    assert buffer.lost == 1


def test_refills_after_an_underrun() -> None:
    buffer = JitterBuffer(depth=2)
    buffer.push(1, b"a")
    buffer.push(2, b"b")
    assert drain(buffer, 3) == [b"a", b"b", None]
    buffer.push(3, b"c")
    assert buffer.pop() is None  # refilling to depth
    buffer.push(4, b"d")
    assert drain(buffer, 2) == [b"c", b"d"]


def test_overflow_keeps_the_newest_packets() -> None:
    buffer = JitterBuffer(depth=2, capacity=4)
    for seq in range(10, 20):
        buffer.push(seq, bytes([seq]))
    assert len(buffer) <= 4
    assert drain(buffer, 4) == [bytes([seq]) for seq in range(16, 20)]
    assert buffer.lost == 6


def test_a_sender_restart_resynchronises() -> None:
    buffer = JitterBuffer(depth=1)
    buffer.push(100, b"a")
    assert buffer.pop() == b"a"
    buffer.push(40000, b"new")
    assert buffer.pop() == b"new"


def test_a_long_gap_costs_one_frame_not_one_per_missing_packet() -> None:
    buffer = JitterBuffer(depth=2)
    for seq in (1, 2, 3):
        buffer.push(seq, bytes([seq]))
    assert drain(buffer, 2) == [b"\x01", b"\x02"]
    for seq in (300, 301, 302):  # the remote went on while its packets were lost
        buffer.push(seq, b"n")
    assert drain(buffer, 5) == [b"\x03", None, b"n", b"n", b"n"]
    assert buffer.lost == 296


def test_playout_resumes_at_the_remote_position_after_a_pause() -> None:
    buffer = JitterBuffer(depth=2)
    buffer.push(10, b"a")
    buffer.push(11, b"b")
    assert drain(buffer, 3) == [b"a", b"b", None]
    buffer.push(500, b"x")
    buffer.push(501, b"y")
    assert drain(buffer, 2) == [b"x", b"y"]
