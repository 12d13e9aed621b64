"""Message catalogs: English msgids, zh-CN translations from the .po files in locales/."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import read_po

from careline.config import LANGUAGES

LOCALES = Path(__file__).parent / "locales"
DEFAULT_LANGUAGE = "zh-CN"
_CATALOG_DIRS = {"zh-CN": "zh_CN"}


@lru_cache(maxsize=4)
def catalog(language: str) -> dict[str, str]:
    """Return msgid -> translation for ``language`` (English needs none)."""
    folder = _CATALOG_DIRS.get(language)
    if folder is None:
        return {}
    messages: dict[str, str] = {}
    for po_file in sorted((LOCALES / folder).glob("*.po")):
        with po_file.open("rb") as handle:
            for message in read_po(handle):
                if message.id and isinstance(message.id, str) and message.string:
                    messages[message.id] = str(message.string)
    return messages


def gettext(language: str, message: str) -> str:
    """Translate ``message`` (an English msgid) into ``language``."""
    return catalog(language).get(message, message)


def translator(language: str) -> Callable[..., str]:
    """Return ``_`` for templates: translate, then fill ``{name}`` fields if given."""
    table = catalog(language)

    def _(message: str, **fields: object) -> str:
        text = table.get(message, message)
        return text.format(**fields) if fields else text

    return _


def pick_language(*candidates: str | None) -> str:
    """Return the first supported language among the candidates, else the default."""
    for candidate in candidates:
        if not candidate:
            continue
        for part in candidate.split(","):
            code = part.split(";")[0].strip()
            if code in LANGUAGES:
                return code
            if code.lower().startswith("zh"):
                return "zh-CN"
            if code.lower().startswith("en"):
                return "en"
    return DEFAULT_LANGUAGE
