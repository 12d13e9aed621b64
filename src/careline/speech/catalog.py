"""Fixed prompts: an id and the words to say in each language, unless a recording exists."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from careline.speech.language import Language, as_language


@dataclass(frozen=True)
class PromptText:
    """The text of one fixed prompt in Mandarin and English."""

    zh: str
    en: str

    def text(self, language: str | Language) -> str:
        return self.zh if as_language(language) is Language.ZH else self.en


# The prompts every Careline line needs; flows add their own through Speaker(catalog=...).
DEFAULT_PROMPTS: Mapping[str, PromptText] = {
    "welcome": PromptText(
        "您好，欢迎致电医院服务热线。", "Hello, and thank you for calling the hospital."
    ),
    "choose_language": PromptText("普通话服务请按一。", "For English, press two."),
    "invalid_choice": PromptText(
        "您的输入有误，请重新输入。", "Sorry, that is not a valid choice. Please try again."
    ),
    "no_input": PromptText(
        "对不起，没有收到您的按键。", "Sorry, we did not receive your selection."
    ),
    "please_hold": PromptText("正在为您转接，请稍候。", "Please hold while we connect your call."),
    "all_agents_busy": PromptText(
        "坐席正忙，请耐心等待。", "All our staff are busy. Please stay on the line."
    ),
    "after_hours": PromptText(
        "现在是非工作时间，请在工作时间再次来电。",
        "We are closed now. Please call again during opening hours.",
    ),
    "record_after_tone": PromptText(
        "请在提示音后留言，按井号键结束。",
        "Please leave a message after the tone, then press hash.",
    ),
    "system_busy": PromptText(
        "系统繁忙，请稍后再拨。", "The line is busy. Please call again later."
    ),
    "goodbye": PromptText("感谢您的来电，再见。", "Thank you for calling. Goodbye."),
}
