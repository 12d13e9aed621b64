"""Ticket numbers: 12 digits, date + daily sequence + a Verhoeff check digit."""

from datetime import date

import pytest

from careline.channels.model import find_ticket_token, tag_subject
from careline.complaints.model import (
    InvalidTicketNumber,
    make_ticket_number,
    parse_ticket_number,
    spoken_groups,
)


def test_number_is_date_then_sequence_then_check_digit() -> None:
    number = make_ticket_number(date(2026, 11, 25), 42)
    assert len(number) == 12
    assert number.isdigit()
    assert number.startswith("26112500042")
    assert spoken_groups(number) == ("261125", "00042", number[-1])


def test_number_threads_through_the_email_subject_token() -> None:
    number = make_ticket_number(date(2026, 11, 25), 7)
    assert find_ticket_token(tag_subject("您的反馈已有回复", number)) == number


def test_typed_number_with_spaces_and_full_width_digits_is_accepted() -> None:
    number = make_ticket_number(date(2026, 11, 25), 42)
    spaced = f"{number[:6]} {number[6:11]}-{number[11]}"
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in number)
    assert parse_ticket_number(spaced) == number
    assert parse_ticket_number(full_width) == number


def test_every_single_wrong_digit_is_caught() -> None:
    number = make_ticket_number(date(2026, 11, 25), 42)
    for position in range(12):
        for digit in "0123456789":
            if digit == number[position]:
                continue
            wrong = number[:position] + digit + number[position + 1 :]
            with pytest.raises(InvalidTicketNumber, match="check the digits"):
                parse_ticket_number(wrong)


def test_every_swap_of_neighbouring_digits_is_caught() -> None:
    number = make_ticket_number(date(2026, 11, 25), 4213)
    for position in range(11):
        a, b = number[position], number[position + 1]
        if a == b:
            continue
        swapped = number[:position] + b + a + number[position + 2 :]
        with pytest.raises(InvalidTicketNumber):
            parse_ticket_number(swapped)


@pytest.mark.parametrize("text", ["", "12345", "2611250004200", "26112500042a", "abc"])
def test_wrong_length_or_letters_say_how_long_a_number_is(text: str) -> None:
    with pytest.raises(InvalidTicketNumber, match="12 digits"):
        parse_ticket_number(text)


def test_sequence_out_of_range_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="out of range"):
        make_ticket_number(date(2026, 11, 25), 100_000)
