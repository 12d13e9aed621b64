"""Message templates per language, with their parameters in a fixed order.

Cloud SMS providers in China only send texts registered in advance as templates with
numbered parameters, so each Careline template names its parameters in order: the same
values fill the local text (SMPP, CMPP, email) and the provider's template (HTTP adapter).
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass

from careline.channels.errors import ChannelError, UnknownTemplate

DEFAULT_LANGUAGE = "zh-CN"


@dataclass(frozen=True, slots=True)
class MessageTemplate:
    """A named text in several languages; ``params`` fixes the order of its placeholders."""

    name: str
    params: tuple[str, ...]
    texts: Mapping[str, str]

    def __post_init__(self) -> None:
        for language, text in self.texts.items():
            used = {name for _, name, _, _ in string.Formatter().parse(text) if name}
            if used - set(self.params):
                raise ValueError(f"template {self.name}/{language} uses undeclared parameters")


@dataclass(frozen=True, slots=True)
class RenderedText:
    """A template filled in: the text and the parameter values in template order."""

    template: str
    language: str
    text: str
    values: tuple[str, ...]


class TemplateCatalog:
    """The templates Careline sends, looked up by name and language."""

    def __init__(self, templates: list[MessageTemplate]) -> None:
        self._templates = {template.name: template for template in templates}

    def render(self, name: str, language: str, values: Mapping[str, str]) -> RenderedText:
        """Fill template ``name`` in ``language`` (falling back to zh-CN) with ``values``."""
        template = self._templates.get(name)
        if template is None:
            raise UnknownTemplate("There is no message template with this name.")
        text = template.texts.get(language) or template.texts.get(DEFAULT_LANGUAGE)
        if text is None:
            raise UnknownTemplate("The message template has no text in this language.")
        missing = [param for param in template.params if param not in values]
        if missing:
            raise ChannelError("A value for every template parameter is required.")
        ordered = tuple(str(values[param]) for param in template.params)
        rendered = text.format_map({param: str(values[param]) for param in template.params})
        return RenderedText(
            name, language if language in template.texts else DEFAULT_LANGUAGE, rendered, ordered
        )


DEFAULT_TEMPLATES = TemplateCatalog(
    [
        MessageTemplate(
            name="appointment_reminder",
            params=("department", "date", "time"),
            texts={
                "zh-CN": "【医院】您已预约{department}，就诊时间{date} {time}，请提前15分钟到院。",
                "en": "Reminder: your {department} appointment is on {date} at {time}. "
                "Please arrive 15 minutes early.",
            },
        ),
        MessageTemplate(
            name="ticket_reply",
            params=("ticket_number", "reply"),
            texts={
                "zh-CN": "【医院】您的反馈（编号{ticket_number}）已有回复：{reply}",
                "en": "Reply to your feedback (number {ticket_number}): {reply}",
            },
        ),
        MessageTemplate(
            name="one_time_code",
            params=("code",),
            texts={
                "zh-CN": "【医院】您的验证码是{code}，5分钟内有效，请勿告诉他人。",
                "en": "Your verification code is {code}. It expires in 5 minutes.",
            },
        ),
    ]
)
