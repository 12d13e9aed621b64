"""What staff type in the search box, classified into one precise lookup (pure)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from careline.kit.phones import InvalidPhoneNumber, normalize_phone
from careline.kit.resident_id import compact_resident_id

MAX_QUERY = 64
MAX_LIMIT = 100
_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")
_PHONE_SHAPE = re.compile(r"^[+\d\s().\-/]+$")
_PINYIN_SHAPE = re.compile(r"^[a-z\s']+$")
_CARD_PREFIX = re.compile(r"^(?:card|卡)\s*[:：]\s*", re.IGNORECASE)


class SearchKind(StrEnum):
    ALL = "all"
    ID_NUMBER = "id_number"
    PHONE = "phone"
    NAME = "name"
    PINYIN = "pinyin"
    CARD = "card"
    TEXT = "text"


@dataclass(frozen=True, slots=True)
class SearchTerms:
    kind: SearchKind
    value: str = ""


def classify_query(text: str) -> SearchTerms:
    """Decide whether the text is an ID number, a phone, a name, pinyin, a card or free text.

    Pinyin means lower-case Latin letters: they match the full pinyin key, the initials key
    or the start of a Latin name. A card number must be written ``card:NNN`` (or ``卡:NNN``)
    because its shape is not known until the membership context defines it.
    """
    query = unicodedata.normalize("NFKC", text).strip()[:MAX_QUERY]
    if not query:
        return SearchTerms(SearchKind.ALL)
    card = _CARD_PREFIX.match(query)
    if card:
        return SearchTerms(SearchKind.CARD, query[card.end() :].strip())
    compact = compact_resident_id(query)
    if _ID_SHAPE.match(compact):
        return SearchTerms(SearchKind.ID_NUMBER, compact)
    if _PHONE_SHAPE.match(query) and sum(ch.isdigit() for ch in query) >= 7:
        try:
            return SearchTerms(SearchKind.PHONE, normalize_phone(query))
        except InvalidPhoneNumber:
            return SearchTerms(SearchKind.TEXT, query)
    lowered = query.casefold()
    if _PINYIN_SHAPE.match(lowered):
        return SearchTerms(SearchKind.PINYIN, re.sub(r"[\s']", "", lowered))
    if any(unicodedata.category(ch) == "Lo" for ch in query) and " " not in query:
        return SearchTerms(SearchKind.NAME, query)
    return SearchTerms(SearchKind.TEXT, query)


def clamp_page(limit: int, offset: int) -> tuple[int, int]:
    """Keep paging inside sane bounds."""
    return max(1, min(limit, MAX_LIMIT)), max(0, offset)
