"""SMS alphabets and segment limits: GSM 160/153, UCS-2 70/67."""

from __future__ import annotations

import pytest

from careline.channels.errors import MessageTooLong
from careline.channels.sms.segments import (
    Alphabet,
    count_segments,
    decode_payload,
    encode_gsm7,
    split_text,
)


def test_ascii_up_to_160_characters_is_one_gsm_message() -> None:
    alphabet, segments = split_text("a" * 160, 1)
    assert alphabet is Alphabet.GSM7
    assert len(segments) == 1
    assert segments[0].payload == b"a" * 160


def test_161_ascii_characters_take_two_segments_of_153() -> None:
    _, segments = split_text("a" * 161, 7)
    assert [len(s.payload) - 6 for s in segments] == [153, 8]
    assert segments[0].payload[:6] == bytes([5, 0, 3, 7, 2, 1])


def test_chinese_up_to_70_characters_is_one_ucs2_message() -> None:
    alphabet, segments = split_text("好" * 70, 1)
    assert alphabet is Alphabet.UCS2
    assert len(segments) == 1
    assert not segments[0].has_udh


def test_71_chinese_characters_take_two_segments_of_67() -> None:
    _, segments = split_text("好" * 71, 1)
    assert [(len(s.payload) - 6) // 2 for s in segments] == [67, 4]


def test_one_chinese_character_turns_the_whole_text_into_ucs2() -> None:
    assert count_segments("a" * 100) == 1
    assert count_segments("a" * 99 + "好") == 2


def test_gsm_escape_pairs_count_twice_and_are_never_split() -> None:
    text = "a" * 152 + "€" + "b" * 10
    _, segments = split_text(text, 1)
    first = segments[0].payload[6:]
    assert len(first) == 152
    assert first.endswith(b"a")
    assert segments[1].payload[6:8] == b"\x1b\x65"


def test_surrogate_pairs_are_never_split() -> None:
    text = "好" * 66 + "😀" + "好" * 5
    _, segments = split_text(text, 1)
    assert segments[0].payload[6:].decode("utf-16-be") == "好" * 66
    assert segments[1].payload[6:].decode("utf-16-be") == "😀" + "好" * 5


def test_gsm_round_trip_with_extension_characters() -> None:
    text = "Room [3] costs €5 {ok}"
    assert decode_payload(encode_gsm7(text), 0, udhi=False) == text


def test_too_many_segments_are_refused() -> None:
    with pytest.raises(MessageTooLong):
        split_text("好" * 67 * 11, 1)
