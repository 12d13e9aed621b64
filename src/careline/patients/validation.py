"""Turn what staff typed (forms, CSV rows, API bodies) into validated PatientDetails."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import TypeVar

from careline.kit.phones import InvalidPhoneNumber, is_mobile, normalize_phone
from careline.kit.resident_id import (
    InvalidResidentId,
    birth_date_of,
    sex_of,
    validate_resident_id,
)
from careline.kit.text import clean, pinyin_keys
from careline.patients.model import (
    ADULT_AGE,
    MAX_ADDRESS,
    MAX_EMAIL,
    MAX_NAME,
    MAX_NOTES,
    MAX_PHONES,
    MAX_TAG,
    MAX_TAGS,
    Consent,
    ConsentSource,
    ConsentTopic,
    ContactChannel,
    Gender,
    InvalidPatient,
    PatientDetails,
    PatientLanguage,
    Phone,
    PhoneLabel,
    age_on,
)

_E = TypeVar("_E", bound=StrEnum)
EARLIEST_BIRTH = date(1900, 1, 1)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")
_GENDERS = {
    "": Gender.UNKNOWN,
    "unknown": Gender.UNKNOWN,
    "u": Gender.UNKNOWN,
    "未知": Gender.UNKNOWN,
    "male": Gender.MALE,
    "m": Gender.MALE,
    "男": Gender.MALE,
    "female": Gender.FEMALE,
    "f": Gender.FEMALE,
    "女": Gender.FEMALE,
}
_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")


@dataclass(frozen=True, slots=True, kw_only=True)
class PatientInput:
    """Patient fields as typed; ``phones`` are (text, label) pairs."""

    name: str
    gender: str = ""
    birth_date: date | str | None = None
    lunar_birthday: bool = False
    id_number: str = ""
    phones: Sequence[tuple[str, str]] = ()
    email: str = ""
    address: str = ""
    guardian_id: int | None = None
    language: str = PatientLanguage.ZH_CN
    preferred_channel: str = ContactChannel.VOICE
    consents: Mapping[str, bool] = field(default_factory=dict)
    consent_source: str = ConsentSource.STAFF
    notes: str = ""
    tags: Sequence[str] | str = ()


def name_keys(name: str) -> tuple[str, str]:
    """Return (full key, initials key) for pinyin search; Latin words count as syllables."""
    full: list[str] = []
    initials: list[str] = []
    position = 0
    for match in _CJK_RUN.finditer(name):
        _latin_keys(name[position : match.start()], full, initials)
        run_full, run_initials = pinyin_keys(match.group())
        full.append(run_full)
        initials.append(run_initials)
        position = match.end()
    _latin_keys(name[position:], full, initials)
    return "".join(full), "".join(initials)


def _latin_keys(text: str, full: list[str], initials: list[str]) -> None:
    for word in re.findall(r"[^\W_]+", unicodedata.normalize("NFKD", text).casefold()):
        ascii_word = "".join(ch for ch in word if ch.isascii())
        if ascii_word:
            full.append(ascii_word)
            initials.append(ascii_word[0])


def parse_birth_date(value: date | str | None) -> date | None:
    """Parse a date written as 2010-03-05, 2010/3/5, 20100305 or 2010年3月5日."""
    if value is None or isinstance(value, date):
        return value
    text = unicodedata.normalize("NFKC", value).strip()
    if not text:
        return None
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError("Write the birth date as YYYY-MM-DD, for example 1980-03-25.")


class _Checker:
    """Collect one message per field instead of stopping at the first problem."""

    def __init__(self, today: date) -> None:
        self.today = today
        self.errors: dict[str, str] = {}

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def text(self, name: str, value: str, limit: int, *, multiline: bool = False) -> str:
        cleaned = value.strip() if multiline else clean(value)
        if len(cleaned) > limit:
            self.fail(name, f"This field has at most {limit} characters.")
        if any(unicodedata.category(ch) == "Cc" and ch not in "\n\r\t" for ch in cleaned):
            self.fail(name, "This field contains control characters.")
        return cleaned

    def choice(self, name: str, kind: type[_E], value: str, message: str) -> _E | None:
        try:
            return kind(value.strip())
        except ValueError:
            self.fail(name, message)
            return None


def validate_patient(data: PatientInput, *, today: date, now: datetime) -> PatientDetails:
    """Return validated details or raise InvalidPatient listing every bad field."""
    check = _Checker(today)
    name = check.text("name", data.name, MAX_NAME)
    if not name:
        check.fail("name", "A name is required.")
    elif not any(ch.isalpha() for ch in name):
        check.fail("name", "A name needs at least one letter or character.")
    birth_date = _birth_date(check, data.birth_date)
    gender = _GENDERS.get(data.gender.strip().casefold())
    if gender is None:
        check.fail("gender", "Choose male, female or unknown.")
    id_number, birth_date, gender = _identity(check, data.id_number, birth_date, gender)
    phones = _phones(check, data.phones)
    email = _email(check, data.email)
    language = check.choice("language", PatientLanguage, data.language, "Choose zh-CN or en.")
    channel = check.choice(
        "preferred_channel", ContactChannel, data.preferred_channel, "Choose voice, SMS or email."
    )
    _channel_reachable(check, channel, phones, email)
    consents = _consents(check, data, now)
    details = PatientDetails(
        name=name,
        gender=gender or Gender.UNKNOWN,
        birth_date=birth_date,
        lunar_birthday=bool(data.lunar_birthday),
        id_number=id_number,
        phones=phones,
        email=email,
        address=check.text("address", data.address, MAX_ADDRESS),
        guardian_id=data.guardian_id,
        language=language or PatientLanguage.ZH_CN,
        preferred_channel=channel or ContactChannel.VOICE,
        consents=consents,
        notes=check.text("notes", data.notes, MAX_NOTES, multiline=True),
        tags=_tags(check, data.tags),
    )
    if check.errors:
        raise InvalidPatient(check.errors)
    return details


def _birth_date(check: _Checker, value: date | str | None) -> date | None:
    try:
        born = parse_birth_date(value)
    except ValueError as exc:
        check.fail("birth_date", str(exc))
        return None
    if born is not None and born > check.today:
        check.fail("birth_date", "The birth date is in the future.")
    elif born is not None and born < EARLIEST_BIRTH:
        check.fail("birth_date", "The birth date is before 1900.")
    return born


def _identity(
    check: _Checker, text: str, born: date | None, gender: Gender | None
) -> tuple[str | None, date | None, Gender | None]:
    """Validate the ID number and make birth date and gender agree with it (or fill them)."""
    if not text.strip():
        return None, born, gender
    try:
        number = validate_resident_id(text, today=check.today)
    except InvalidResidentId as exc:
        check.fail("id_number", exc.reason)
        return None, born, gender
    written = birth_date_of(number)
    if born is None and "birth_date" not in check.errors:
        born = written
    elif born is not None and born != written:
        check.fail("birth_date", "The birth date does not match the resident ID number.")
    sex = Gender(sex_of(number).value)
    if gender in (None, Gender.UNKNOWN):
        gender = sex if gender is not None else None
    elif gender != sex:
        check.fail("gender", "The gender does not match the resident ID number.")
    return number, born, gender


def _phones(check: _Checker, entries: Sequence[tuple[str, str]]) -> tuple[Phone, ...]:
    phones: list[Phone] = []
    seen: set[str] = set()
    typed = [(text, label) for text, label in entries if text.strip()]
    if len(typed) > MAX_PHONES:
        check.fail("phones", f"A patient has at most {MAX_PHONES} phone numbers.")
    for index, (text, label_text) in enumerate(typed[:MAX_PHONES]):
        label = check.choice(
            f"phones.{index}.label",
            PhoneLabel,
            label_text or "mobile",
            "Choose mobile, home or work.",
        )
        try:
            number = normalize_phone(text)
        except InvalidPhoneNumber as exc:
            check.fail(f"phones.{index}", exc.reason)
            continue
        if number not in seen:
            seen.add(number)
            phones.append(Phone(number, label or PhoneLabel.MOBILE))
    return tuple(phones)


def _email(check: _Checker, text: str) -> str | None:
    value = unicodedata.normalize("NFKC", text).strip()
    if not value:
        return None
    if len(value) > MAX_EMAIL:
        check.fail("email", f"This field has at most {MAX_EMAIL} characters.")
    elif not _EMAIL.match(value):
        check.fail("email", "This is not an email address.")
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


def _channel_reachable(
    check: _Checker, channel: ContactChannel | None, phones: tuple[Phone, ...], email: str | None
) -> None:
    if channel == ContactChannel.SMS and not any(is_mobile(p.number) for p in phones):
        check.fail("preferred_channel", "SMS needs a mobile phone number.")
    if channel == ContactChannel.EMAIL and not email:
        check.fail("preferred_channel", "Email needs an email address.")


def _consents(check: _Checker, data: PatientInput, now: datetime) -> tuple[Consent, ...]:
    source = check.choice("consent_source", ConsentSource, data.consent_source, "Unknown source.")
    consents: list[Consent] = []
    for key, granted in data.consents.items():
        topic = check.choice(f"consent_{key}", ConsentTopic, key, "Unknown consent.")
        if topic is not None and source is not None:
            consents.append(Consent(topic, bool(granted), now, source))
    return tuple(sorted(consents, key=lambda c: c.topic))


def _tags(check: _Checker, value: Sequence[str] | str) -> tuple[str, ...]:
    raw = re.split(r"[,，;；]", value) if isinstance(value, str) else list(value)
    tags: list[str] = []
    for item in raw:
        tag = clean(item)
        if not tag or tag in tags:
            continue
        if len(tag) > MAX_TAG:
            check.fail("tags", f"A tag has at most {MAX_TAG} characters.")
        tags.append(tag)
    if len(tags) > MAX_TAGS:
        check.fail("tags", f"A patient has at most {MAX_TAGS} tags.")
    return tuple(tags)


def carry_consents(
    previous: tuple[Consent, ...], requested: tuple[Consent, ...]
) -> tuple[Consent, ...]:
    """Keep when/source of every consent whose answer did not change."""
    before = {c.topic: c for c in previous}
    result = {c.topic: c for c in previous}
    for consent in requested:
        old = before.get(consent.topic)
        if old is None or old.granted != consent.granted:
            result[consent.topic] = consent
    return tuple(sorted(result.values(), key=lambda c: c.topic))


def check_guardian(
    patient_id: int | None, guardian: PatientDetails | None, guardian_id: int, today: date
) -> str | None:
    """Return why ``guardian`` cannot be this patient's guardian, or None when it can."""
    if guardian_id == patient_id:
        return "A patient cannot be their own guardian."
    if guardian is None:
        return "The guardian is not a registered patient."
    if guardian.birth_date is not None and age_on(guardian.birth_date, today) < ADULT_AGE:
        return "A guardian must be an adult."
    if patient_id is not None and guardian.guardian_id == patient_id:
        return "Two patients cannot be each other's guardian."
    return None
