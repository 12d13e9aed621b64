"""Message templates per language."""

from __future__ import annotations

import pytest

from careline.channels.errors import ChannelError, UnknownTemplate
from careline.channels.templates import DEFAULT_TEMPLATES, MessageTemplate

VALUES = {"department": "内科", "date": "11月26日", "time": "09:30"}


def test_chinese_and_english_texts_share_parameter_order() -> None:
    zh = DEFAULT_TEMPLATES.render("appointment_reminder", "zh-CN", VALUES)
    en = DEFAULT_TEMPLATES.render("appointment_reminder", "en", VALUES)
    assert "内科" in zh.text
    assert "11月26日 09:30" in zh.text
    assert en.text.startswith("Reminder: your 内科 appointment")
    assert zh.values == en.values == ("内科", "11月26日", "09:30")


def test_unknown_language_falls_back_to_chinese() -> None:
    rendered = DEFAULT_TEMPLATES.render("one_time_code", "fr", {"code": "123456"})
    assert rendered.language == "zh-CN"
    assert "123456" in rendered.text


def test_missing_value_and_unknown_template_are_refused() -> None:
    with pytest.raises(ChannelError, match="every template parameter"):
        DEFAULT_TEMPLATES.render("one_time_code", "en", {})
    with pytest.raises(UnknownTemplate):
        DEFAULT_TEMPLATES.render("no_such", "en", {})


def test_a_template_using_an_undeclared_parameter_is_rejected() -> None:
    with pytest.raises(ValueError, match="undeclared"):
        MessageTemplate("bad", ("a",), {"en": "{a} {b}"})
