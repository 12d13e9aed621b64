"""Patients as the contact center knows them (pure: no I/O).

Guardians: PIPL treats data on children under 14 as sensitive, so a patient under 14 is a
*minor* whose guardian should be on record. Careline records the guardian (a link to another
patient, who must be an adult when their birth date is known) but does not refuse to
register a minor without one: a parent calling about a newborn may not be registered yet.
Pages flag ``needs_guardian`` so staff complete the record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from careline.kit.errors import CarelineError, Conflict, InvalidInput, NotFound

MINOR_AGE = 14
ADULT_AGE = 18
MAX_NAME = 64
MAX_ADDRESS = 256
MAX_NOTES = 4000
MAX_EMAIL = 254
MAX_TAG = 32
MAX_TAGS = 20
MAX_PHONES = 5
MAX_ID_NUMBER = 18


class Gender(StrEnum):
    MALE = "male"
    FEMALE = "female"
    UNKNOWN = "unknown"


class PhoneLabel(StrEnum):
    MOBILE = "mobile"
    HOME = "home"
    WORK = "work"


class ContactChannel(StrEnum):
    VOICE = "voice"
    SMS = "sms"
    EMAIL = "email"


class PatientLanguage(StrEnum):
    ZH_CN = "zh-CN"
    EN = "en"


class ConsentTopic(StrEnum):
    VOICE = "voice"
    SMS = "sms"
    EMAIL = "email"
    MARKETING = "marketing"


class ConsentSource(StrEnum):
    PHONE_CALL = "phone_call"
    PAPER_FORM = "paper_form"
    PORTAL = "portal"
    IVR = "ivr"
    SMS_REPLY = "sms_reply"
    IMPORT = "import"
    STAFF = "staff"


class DuplicateReason(StrEnum):
    SAME_ID_NUMBER = "same_id_number"
    SAME_NAME_AND_BIRTH_DATE = "same_name_and_birth_date"
    SAME_NAME_AND_PHONE = "same_name_and_phone"


@dataclass(frozen=True, slots=True)
class Phone:
    number: str  # E.164
    label: PhoneLabel = PhoneLabel.MOBILE


@dataclass(frozen=True, slots=True)
class Consent:
    topic: ConsentTopic
    granted: bool
    at: datetime
    source: ConsentSource


@dataclass(frozen=True, slots=True, kw_only=True)
class PatientDetails:
    """Everything staff can set on a patient, already validated and normalised."""

    name: str
    gender: Gender = Gender.UNKNOWN
    birth_date: date | None = None
    lunar_birthday: bool = False
    id_number: str | None = None
    phones: tuple[Phone, ...] = ()
    email: str | None = None
    address: str = ""
    guardian_id: int | None = None
    language: PatientLanguage = PatientLanguage.ZH_CN
    preferred_channel: ContactChannel = ContactChannel.VOICE
    consents: tuple[Consent, ...] = ()
    notes: str = ""
    tags: tuple[str, ...] = ()

    def consent(self, topic: ConsentTopic) -> Consent | None:
        return next((c for c in self.consents if c.topic == topic), None)

    def has_consent(self, topic: ConsentTopic) -> bool:
        found = self.consent(topic)
        return found is not None and found.granted


@dataclass(frozen=True, slots=True, kw_only=True)
class Patient(PatientDetails):
    """A stored patient; a merged one points at the record that replaced it."""

    id: int
    name_pinyin: str = ""
    name_initials: str = ""
    merged_into_id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    version: int = 1

    @property
    def is_merged(self) -> bool:
        return self.merged_into_id is not None


@dataclass(frozen=True, slots=True)
class DuplicateCandidate:
    patient: Patient
    reasons: frozenset[DuplicateReason]


@dataclass(frozen=True, slots=True)
class PatientPage:
    items: list[Patient]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True, slots=True)
class MergeRecord:
    id: int
    survivor_id: int
    duplicate_id: int
    staff_id: int | None
    at: datetime
    reason: str
    moved: dict[str, object] = field(default_factory=dict)


def age_on(birth_date: date, today: date) -> int:
    """Return the age in whole years on ``today``."""
    before_birthday = (today.month, today.day) < (birth_date.month, birth_date.day)
    return today.year - birth_date.year - int(before_birthday)


def is_minor(birth_date: date | None, today: date) -> bool:
    """Tell whether a patient is under 14 (a child under PIPL); unknown birth date is not."""
    return birth_date is not None and age_on(birth_date, today) < MINOR_AGE


def needs_guardian(details: PatientDetails, today: date) -> bool:
    """Tell whether a minor has no guardian on record yet."""
    return is_minor(details.birth_date, today) and details.guardian_id is None


class PatientError(CarelineError):
    error_id = "patient_error"


class PatientNotFound(PatientError, NotFound):
    status_code = 404
    error_id = "patient_not_found"


class InvalidPatient(PatientError, InvalidInput):
    """Input refused field by field; ``errors`` maps each field to its message."""

    status_code = 422
    error_id = "invalid_patient"

    def __init__(self, errors: dict[str, str]) -> None:
        first_field, first_message = next(iter(errors.items()))
        super().__init__(first_message, field=first_field)
        self.errors = errors


class DuplicateIdNumber(PatientError, Conflict):
    status_code = 409
    error_id = "duplicate_id_number"

    def __init__(self, existing_id: int | None) -> None:
        super().__init__("Another patient already has this resident ID number.", field="id_number")
        self.existing_id = existing_id


class PossibleDuplicate(PatientError, Conflict):
    """Registration held back until staff confirm the person is not already on record."""

    status_code = 409
    error_id = "possible_duplicate"

    def __init__(self, candidate_ids: list[int]) -> None:
        super().__init__(
            "Patients with the same name and birth date or phone are already on record;"
            " check them, then confirm this is a different person."
        )
        self.candidate_ids = candidate_ids


class StaleRecord(PatientError, Conflict):
    status_code = 409
    error_id = "stale_patient_record"

    def __init__(self) -> None:
        super().__init__("Someone else changed this patient meanwhile; reload and try again.")


class MergeRefused(PatientError):
    status_code = 409
    error_id = "merge_refused"


class PatientMerged(PatientError):
    status_code = 409
    error_id = "patient_merged"

    def __init__(self, merged_into_id: int) -> None:
        super().__init__("This patient record was merged into another one.")
        self.merged_into_id = merged_into_id


class InvalidGuardian(PatientError):
    status_code = 422
    error_id = "invalid_guardian"

    def __init__(self, message: str) -> None:
        super().__init__(message, field="guardian_id")


class CardSearchUnavailable(PatientError):
    status_code = 501
    error_id = "card_search_unavailable"

    def __init__(self) -> None:
        super().__init__("Search by member card number is not available yet.")
