"""The two languages Careline speaks and the espeak-ng voice used for each."""

from __future__ import annotations

from enum import StrEnum


class Language(StrEnum):
    """A caller-facing language, spelled as in ``Settings.language``."""

    ZH = "zh-CN"
    EN = "en"


# The plain ``cmn`` voice reads many characters as spelled pinyin with tone numbers;
# ``cmn-latn-pinyin`` reads Hanzi properly (and Latin letters as pinyin).
VOICES: dict[Language, str] = {Language.ZH: "cmn-latn-pinyin", Language.EN: "en"}


def as_language(value: str | Language) -> Language:
    """Accept 'zh-CN', 'zh', 'cmn' or 'en' (any case) and return the Language."""
    if isinstance(value, Language):
        return value
    key = value.strip().lower().replace("_", "-")
    if key in {"zh-cn", "zh", "cmn", "zh-hans"}:
        return Language.ZH
    if key in {"en", "en-gb", "en-us"}:
        return Language.EN
    raise ValueError(f"unsupported language: {value!r} (expected 'zh-CN' or 'en')")
