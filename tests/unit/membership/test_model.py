from __future__ import annotations

import pytest

from careline.membership.model import (
    EntryKind,
    InvalidAmount,
    InvalidCardNumber,
    InvalidPin,
    luhn_digit,
    make_card_number,
    normalize_card_number,
    signed_amount,
    validate_pin,
)


def test_luhn_digit_matches_the_known_example() -> None:
    # The classic example from ISO/IEC 7812-1: 7992739871 has check digit 3.
    assert luhn_digit("7992739871") == "3"


def test_card_numbers_have_sixteen_digits_and_validate() -> None:
    number = make_card_number(1234)
    assert len(number) == 16
    assert number.startswith("88")
    assert normalize_card_number(f"{number[:4]} {number[4:8]}-{number[8:]}") == number


def test_a_single_wrong_digit_is_caught() -> None:
    number = make_card_number(987654321)
    wrong = number[:5] + str((int(number[5]) + 1) % 10) + number[6:]
    with pytest.raises(InvalidCardNumber):
        normalize_card_number(wrong)


def test_swapped_neighbours_are_caught() -> None:
    number = make_card_number(1203)
    i = next(i for i in range(2, 14) if number[i] != number[i + 1])
    swapped = number[:i] + number[i + 1] + number[i] + number[i + 2 :]
    with pytest.raises(InvalidCardNumber):
        normalize_card_number(swapped)


@pytest.mark.parametrize("pin", ["12345", "1234567", "12a456", ""])
def test_pin_must_be_six_digits(pin: str) -> None:
    with pytest.raises(InvalidPin):
        validate_pin(pin)


def test_charges_are_negative_and_adjustments_keep_their_sign() -> None:
    assert signed_amount(EntryKind.CHARGE, 500) == -500
    assert signed_amount(EntryKind.REFUND, 500) == 500
    assert signed_amount(EntryKind.ADJUSTMENT, -300) == -300
    with pytest.raises(InvalidAmount):
        signed_amount(EntryKind.TOP_UP, 0)
    with pytest.raises(InvalidAmount):
        signed_amount(EntryKind.CHARGE, -5)
