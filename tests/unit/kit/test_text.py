from careline.kit.text import clean, pinyin_keys


def test_pinyin_keys_give_full_and_initials() -> None:
    assert pinyin_keys("张伟") == ("zhangwei", "zw")
    assert pinyin_keys("欧阳 娜娜") == ("ouyangnana", "oynn")


def test_clean_normalises_full_width_and_spaces() -> None:
    assert clean("  Ｗａｎｇ\u3000 Fang ") == "Wang Fang"
