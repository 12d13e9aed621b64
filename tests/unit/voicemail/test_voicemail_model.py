"""Message numbers and PIN rules."""

from __future__ import annotations

import pytest

from careline.voicemail.model import NUMBER_DIGITS, InvalidPin, check_pin, new_message_number


def test_message_numbers_are_eight_digits_never_starting_with_zero() -> None:
    numbers = {new_message_number() for _ in range(300)}
    assert all(len(n) == NUMBER_DIGITS and n.isdigit() and n[0] != "0" for n in numbers)
    assert len(numbers) > 290


@pytest.mark.parametrize("pin", ["123", "12345", "12a4", "1111", "", "１２３４"])
def test_bad_pins_are_refused(pin: str) -> None:
    with pytest.raises(InvalidPin):
        check_pin(pin)


def test_a_good_pin_is_kept() -> None:
    assert check_pin("2580") == "2580"
