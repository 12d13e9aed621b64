"""MLLP framing: whole messages out of arbitrary chunks."""

from __future__ import annotations

import pytest

from careline.integrations.hl7.mllp import FrameTooLarge, MllpDecoder, frame


def test_a_frame_is_start_block_message_end_block() -> None:
    assert frame(b"MSH|x") == b"\x0bMSH|x\x1c\x0d"


def test_messages_split_byte_by_byte_are_reassembled() -> None:
    decoder = MllpDecoder()
    data = frame(b"one") + frame(b"two")
    found: list[bytes] = []
    for i in range(len(data)):
        found += decoder.feed(data[i : i + 1])
    assert found == [b"one", b"two"]


def test_noise_before_a_start_block_is_dropped() -> None:
    assert MllpDecoder().feed(b"\r\nnoise" + frame(b"msg")) == [b"msg"]


def test_an_unterminated_frame_is_kept_until_it_ends() -> None:
    decoder = MllpDecoder()
    assert decoder.feed(b"\x0bMSH|1\x1c") == []
    assert decoder.feed(b"\x0d") == [b"MSH|1"]


def test_an_endless_frame_is_refused() -> None:
    decoder = MllpDecoder(max_message=10)
    with pytest.raises(FrameTooLarge):
        decoder.feed(b"\x0b" + b"x" * 20)
    assert decoder.feed(frame(b"ok")) == [b"ok"]
