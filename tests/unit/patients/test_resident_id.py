from datetime import date

import pytest

from careline.kit.resident_id import (
    InvalidResidentId,
    Sex,
    birth_date_of,
    check_character,
    is_well_formed,
    mask_resident_id,
    sex_of,
    validate_resident_id,
)
from careline.patients.synthetic import resident_id

VALID = "11010519491231002X"  # the example of GB 11643-1999


def test_published_example_is_valid() -> None:
    assert validate_resident_id(VALID) == VALID


def test_lower_case_x_spaces_and_full_width_are_accepted() -> None:
    assert validate_resident_id("110105 19491231 002x") == VALID
    assert validate_resident_id("１１０１０５１９４９１２３１００２Ｘ") == VALID


def test_birth_date_and_sex_come_from_the_number() -> None:
    assert birth_date_of(VALID) == date(1949, 12, 31)
    assert sex_of(VALID) == Sex.FEMALE
    assert sex_of(resident_id("110105", date(1980, 1, 2), 7)) == Sex.MALE


@pytest.mark.parametrize("wrong_last", "0123456789")
def test_a_wrong_check_character_is_refused(wrong_last: str) -> None:
    with pytest.raises(InvalidResidentId, match="last character"):
        validate_resident_id(VALID[:-1] + wrong_last)


def test_check_character_matches_the_standard() -> None:
    assert check_character(VALID[:17]) == "X"


@pytest.mark.parametrize(
    ("first_17", "why"),
    [
        ("11010519490230002", "impossible"),  # 30 February
        ("11010519491301002", "impossible"),  # month 13
        ("99999919800101002", "impossible"),  # no such region
    ],
)
def test_impossible_birth_dates_and_regions_are_refused(first_17: str, why: str) -> None:
    with pytest.raises(InvalidResidentId, match=why):
        validate_resident_id(first_17 + check_character(first_17))


def test_future_birth_date_is_refused() -> None:
    number = resident_id("110105", date(2030, 1, 1), 1)
    with pytest.raises(InvalidResidentId, match="impossible birth date"):
        validate_resident_id(number, today=date(2026, 11, 25))


@pytest.mark.parametrize(
    "text", ["", "1101051949123100", "1101051949123100211", "A1010519491231002X"]
)
def test_wrong_length_or_letters_are_refused(text: str) -> None:
    with pytest.raises(InvalidResidentId):
        validate_resident_id(text)


def test_mask_keeps_three_leading_and_four_trailing_characters() -> None:
    assert mask_resident_id(VALID) == "110***********002X"
    assert len(mask_resident_id(VALID)) == 18


def test_a_stored_number_is_well_formed_by_form_check_character_and_birth_date() -> None:
    today = date(2026, 11, 25)
    assert is_well_formed(VALID, today=today)
    future = "110105" + "20300101" + "002"
    impossible = "110105" + "19490231" + "002"  # 31 February
    for bad in (
        "110105194912310021",  # wrong check character
        VALID[:17],  # too short
        "11010519491231002x",  # not compact
        "A10105194912310020",
        future + check_character(future),
        impossible + check_character(impossible),
    ):
        assert not is_well_formed(bad, today=today), bad


def test_well_formed_leaves_the_region_to_registration() -> None:
    # Region 999999 never existed: registration refuses it, a stored number is not re-read.
    body = "999999" + "19800101" + "001"
    number = body + check_character(body)
    with pytest.raises(InvalidResidentId):
        validate_resident_id(number)
    assert is_well_formed(number, today=date(2026, 11, 25))
