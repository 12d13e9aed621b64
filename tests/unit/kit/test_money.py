import pytest

from careline.kit.money import format_yuan, parse_yuan


@pytest.mark.parametrize(
    ("fen", "text"), [(0, "0.00"), (5, "0.05"), (1250, "12.50"), (-300, "-3.00")]
)
def test_format_yuan(fen: int, text: str) -> None:
    assert format_yuan(fen) == text


@pytest.mark.parametrize(("text", "fen"), [("12", 1200), ("12.5", 1250), (" 0.05 ", 5)])
def test_parse_yuan(text: str, fen: int) -> None:
    assert parse_yuan(text) == fen


@pytest.mark.parametrize("bad", ["", "1.234", "-1", "abc", "1e3"])
def test_parse_yuan_refuses_what_is_not_money(bad: str) -> None:
    with pytest.raises(ValueError, match="not an amount"):
        parse_yuan(bad)
