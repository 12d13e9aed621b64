"""Text helpers shared by contexts: Chinese pinyin keys and whitespace clean-up."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from pypinyin import Style, lazy_pinyin


def clean(text: str) -> str:
    """NFKC-normalise and collapse whitespace."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


@lru_cache(maxsize=4096)
def pinyin_keys(name: str) -> tuple[str, str]:
    """Return (full pinyin, initials) of a name in lower case: 张伟 -> (zhangwei, zw)."""
    syllables = [s.lower() for s in lazy_pinyin(name, style=Style.NORMAL, errors="ignore")]
    syllables = [s for s in syllables if s.isalnum()]
    return "".join(syllables), "".join(s[0] for s in syllables)
