"""Phone numbers: normalise what people type to E.164 and mask numbers for display."""

from __future__ import annotations

import re
import unicodedata

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

# Separators people type between digit groups; anything else is a mistake worth reporting.
_ALLOWED = re.compile(r"^[+\d\s().\-/]+$")
MAX_PHONE_INPUT = 32


class InvalidPhoneNumber(ValueError):
    """The text is not a phone number that could be dialled; the message says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _prepare(text: str) -> str:
    # NFKC turns full-width digits and plus signs (common with Chinese input methods) into ASCII.
    cleaned = unicodedata.normalize("NFKC", text).strip()
    if cleaned.lower().startswith("tel:"):
        cleaned = cleaned[4:]
    if not cleaned:
        raise InvalidPhoneNumber("A phone number is required.")
    if len(cleaned) > MAX_PHONE_INPUT:
        raise InvalidPhoneNumber("A phone number has at most 32 characters.")
    if not _ALLOWED.match(cleaned):
        raise InvalidPhoneNumber("A phone number may contain only digits, spaces, + ( ) - . /.")
    digits = re.sub(r"\D", "", cleaned)
    if cleaned.startswith("00"):
        return "+" + digits[2:]
    # "8613800138000" is a Chinese mobile written with its country code but without the plus.
    if not cleaned.startswith("+") and len(digits) == 13 and digits.startswith("861"):
        return "+" + digits
    return cleaned


def parse_phone(text: str, region: str = "CN") -> phonenumbers.PhoneNumber:
    """Parse and validate a phone number, raising InvalidPhoneNumber."""
    prepared = _prepare(text)
    try:
        number = phonenumbers.parse(prepared, region)
    except NumberParseException as exc:
        raise InvalidPhoneNumber("This is not a phone number.") from exc
    if not phonenumbers.is_possible_number(number):
        raise InvalidPhoneNumber("This phone number has too few or too many digits.")
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhoneNumber("This phone number does not exist in its numbering plan.")
    return number


def normalize_phone(text: str, region: str = "CN") -> str:
    """Return ``text`` as an E.164 number ('+8613800138000') or raise InvalidPhoneNumber."""
    number = parse_phone(text, region)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_mobile(e164: str) -> bool:
    """Tell whether an E.164 number is a mobile number (one that can receive SMS)."""
    number = phonenumbers.parse(e164, None)
    kind = phonenumbers.number_type(number)
    return kind in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)


def format_phone(e164: str) -> str:
    """Render an E.164 number in international format: '+86 138 0013 8000'."""
    number = phonenumbers.parse(e164, None)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def mask_phone(e164: str) -> str:
    """Hide the middle digits for display: '+8613812345678' -> '+86 138****5678'."""
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return "****"
    national = phonenumbers.national_significant_number(number)
    if len(national) <= 7:
        visible = national[-2:]
        return f"+{number.country_code} {'*' * (len(national) - 2)}{visible}"
    hidden = "*" * max(4, len(national) - 7)
    return f"+{number.country_code} {national[:3]}{hidden}{national[-4:]}"
