"""Chinese resident identity numbers (居民身份证号码, GB 11643-1999).

Eighteen characters: a six-digit region code, the birth date as YYYYMMDD, a three-digit
order code (odd for men, even for women) and an ISO 7064 MOD 11-2 check character (0-9 or X).
Validation is delegated to python-stdnum, which also checks that the region code existed in
the birth year; Careline adds that the birth date is neither in the future nor before 1900.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from enum import StrEnum

from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric

EARLIEST_BIRTH_YEAR = 1900


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"


class InvalidResidentId(ValueError):
    """The text is not a valid resident identity number; the message says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def compact_resident_id(text: str) -> str:
    """Strip spaces and dashes, turn full-width characters to ASCII and upper-case the X."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in text if ch not in " -\t").upper()


def validate_resident_id(text: str, *, today: date | None = None) -> str:
    """Return the number in compact form or raise InvalidResidentId."""
    number = compact_resident_id(text)
    try:
        ric.validate(number)
    except stdnum_errors.InvalidLength as exc:
        raise InvalidResidentId("A resident ID number has 18 characters.") from exc
    except stdnum_errors.InvalidFormat as exc:
        raise InvalidResidentId(
            "A resident ID number is 17 digits followed by a digit or X."
        ) from exc
    except stdnum_errors.InvalidChecksum as exc:
        raise InvalidResidentId(
            "The last character of this resident ID number does not match; check for a typo."
        ) from exc
    except stdnum_errors.ValidationError as exc:
        raise InvalidResidentId(
            "This resident ID number contains an impossible birth date or region code."
        ) from exc
    born = birth_date_of(number)
    if born.year < EARLIEST_BIRTH_YEAR or born > (today or date.today()):
        raise InvalidResidentId("This resident ID number contains an impossible birth date.")
    return number


def is_well_formed(number: str, *, today: date) -> bool:
    """Whether a stored, compact number still reads as valid: form, check character, birth.

    The region code is not looked up again: ``validate_resident_id`` checked it when the
    number was registered, and that lookup costs more than a booking's SQL.
    """
    if len(number) != 18 or not number[:17].isdigit() or number[17] not in _CHECK_CHARACTERS:
        return False
    if ric.calc_check_digit(number) != number[17]:
        return False
    try:
        born = birth_date_of(number)
    except ValueError:
        return False
    return born.year >= EARLIEST_BIRTH_YEAR and born <= today


_CHECK_CHARACTERS = frozenset("0123456789X")


def birth_date_of(number: str) -> date:
    """Return the birth date written in a (compact, validated) resident ID number."""
    return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def sex_of(number: str) -> Sex:
    """Return the sex encoded by the order code: odd for men, even for women."""
    return Sex.MALE if int(number[16]) % 2 == 1 else Sex.FEMALE


def check_character(first_17: str) -> str:
    """Compute the check character for 17 digits (used to build synthetic numbers)."""
    return ric.calc_check_digit(first_17 + "0")


def mask_resident_id(number: str) -> str:
    """Hide all but the first three and last four characters: '110***********123X'."""
    if len(number) < 8:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]
