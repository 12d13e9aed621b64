import pytest

from careline.kit.phones import InvalidPhoneNumber, is_mobile, mask_phone, normalize_phone


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("13800138000", "+8613800138000"),
        ("138 0013 8000", "+8613800138000"),
        ("138-0013-8000", "+8613800138000"),
        ("+86 138 0013 8000", "+8613800138000"),
        ("0086 138 0013 8000", "+8613800138000"),
        ("8613800138000", "+8613800138000"),
        ("１３８００１３８０００", "+8613800138000"),
        ("tel:+8613800138000", "+8613800138000"),
        ("010-6512 3456", "+861065123456"),
        ("(021) 6888 8888", "+862168888888"),
        ("+1 650-253-0000", "+16502530000"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_typed_numbers_become_e164(typed: str, e164: str) -> None:
    assert normalize_phone(typed) == e164


def test_default_region_applies_to_national_numbers() -> None:
    assert normalize_phone("650 253 0000", region="US") == "+16502530000"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "abc",
        "12345",
        "1380013800",
        "138001380001",
        "+86 123 4567 8901",
        "138#0013",
        "9" * 40,
    ],
)
def test_invalid_numbers_are_refused_with_a_reason(typed: str) -> None:
    with pytest.raises(InvalidPhoneNumber) as caught:
        normalize_phone(typed)
    assert isinstance(caught.value, ValueError)
    assert caught.value.reason.endswith(".")


def test_mask_hides_the_middle_of_a_chinese_mobile() -> None:
    assert mask_phone("+8613812345678") == "+86 138****5678"


def test_mask_never_shows_the_whole_number() -> None:
    masked = mask_phone("+861065123456")
    assert "65123456" not in masked.replace(" ", "")
    assert masked.endswith("3456")
    assert mask_phone("garbage") == "****"


def test_mobile_and_landline_are_told_apart() -> None:
    assert is_mobile("+8613800138000")
    assert not is_mobile("+861065123456")
