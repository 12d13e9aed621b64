"""REST shapes of the patients context.

Lists show masked phones and ID numbers (a search is not an audited read); the full record
comes from ``GET /api/v1/patients/{id}``, which writes an audit row.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from careline.kit.phones import mask_phone
from careline.kit.resident_id import mask_resident_id
from careline.patients.model import (
    MAX_ADDRESS,
    MAX_EMAIL,
    MAX_NAME,
    MAX_NOTES,
    MAX_PHONES,
    MAX_TAG,
    MAX_TAGS,
    ConsentSource,
    ConsentTopic,
    ContactChannel,
    DuplicateCandidate,
    DuplicateReason,
    Gender,
    MergeRecord,
    Patient,
    PatientLanguage,
    PatientPage,
    PhoneLabel,
)
from careline.patients.service import PatientRecord
from careline.patients.validation import PatientInput


class PhoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    number: str = Field(min_length=1, max_length=32, examples=["138 0013 8000"])
    label: PhoneLabel = PhoneLabel.MOBILE


class PatientCreate(BaseModel):
    """A new patient; phones in any format people type, normalised to E.164."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=MAX_NAME)
    gender: Gender = Gender.UNKNOWN
    birth_date: date | None = None
    lunar_birthday: bool = False
    id_number: str = Field("", max_length=32)
    phones: list[PhoneIn] = Field(default_factory=list, max_length=MAX_PHONES)
    email: str = Field("", max_length=MAX_EMAIL)
    address: str = Field("", max_length=MAX_ADDRESS)
    guardian_id: int | None = None
    language: PatientLanguage = PatientLanguage.ZH_CN
    preferred_channel: ContactChannel = ContactChannel.VOICE
    consents: dict[ConsentTopic, bool] = Field(default_factory=dict)
    consent_source: ConsentSource = ConsentSource.STAFF
    notes: str = Field("", max_length=MAX_NOTES)
    tags: list[Annotated[str, Field(max_length=MAX_TAG)]] = Field(
        default_factory=list, max_length=MAX_TAGS
    )
    confirmed_new: bool = Field(
        False, description="Register although likely duplicates exist (staff checked them)."
    )

    def to_input(self) -> PatientInput:
        return PatientInput(
            name=self.name,
            gender=self.gender.value,
            birth_date=self.birth_date,
            lunar_birthday=self.lunar_birthday,
            id_number=self.id_number,
            phones=[(p.number, p.label.value) for p in self.phones],
            email=self.email,
            address=self.address,
            guardian_id=self.guardian_id,
            language=self.language.value,
            preferred_channel=self.preferred_channel.value,
            consents={topic.value: granted for topic, granted in self.consents.items()},
            consent_source=self.consent_source.value,
            notes=self.notes,
            tags=list(self.tags),
        )


class PatientUpdate(PatientCreate):
    """The whole patient as it should be; ``version`` from the last read guards edits."""

    version: int | None = None


class PhoneRead(BaseModel):
    number: str
    label: PhoneLabel
    masked: str


class ConsentRead(BaseModel):
    topic: ConsentTopic
    granted: bool
    at: datetime
    source: ConsentSource


class PatientSummary(BaseModel):
    id: int
    name: str
    gender: Gender
    birth_date: date | None
    phones_masked: list[str]
    id_number_masked: str | None
    tags: list[str]


class PatientRead(BaseModel):
    id: int
    name: str
    name_pinyin: str
    name_initials: str
    gender: Gender
    birth_date: date | None
    lunar_birthday: bool
    id_number: str | None
    phones: list[PhoneRead]
    email: str | None
    address: str
    guardian_id: int | None
    language: PatientLanguage
    preferred_channel: ContactChannel
    consents: list[ConsentRead]
    notes: str
    tags: list[str]
    merged_into_id: int | None
    version: int
    created_at: datetime | None
    updated_at: datetime | None


class MergeRead(BaseModel):
    survivor_id: int
    duplicate_id: int
    staff_id: int | None
    at: datetime
    reason: str


class PatientRecordRead(PatientRead):
    guardian: PatientSummary | None
    wards: list[PatientSummary]
    merges: list[MergeRead]
    needs_guardian: bool


class PatientPageRead(BaseModel):
    items: list[PatientSummary]
    total: int
    limit: int
    offset: int


class DuplicateRead(BaseModel):
    patient: PatientSummary
    reasons: list[DuplicateReason]


class MergeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    duplicate_id: int
    reason: str = Field("", max_length=256)


def patient_summary(patient: Patient) -> PatientSummary:
    return PatientSummary(
        id=patient.id,
        name=patient.name,
        gender=patient.gender,
        birth_date=patient.birth_date,
        phones_masked=[mask_phone(p.number) for p in patient.phones],
        id_number_masked=mask_resident_id(patient.id_number) if patient.id_number else None,
        tags=list(patient.tags),
    )


def patient_read(patient: Patient) -> PatientRead:
    return PatientRead(**_read_fields(patient))


def _read_fields(patient: Patient) -> dict[str, object]:
    return {
        "id": patient.id,
        "name": patient.name,
        "name_pinyin": patient.name_pinyin,
        "name_initials": patient.name_initials,
        "gender": patient.gender,
        "birth_date": patient.birth_date,
        "lunar_birthday": patient.lunar_birthday,
        "id_number": patient.id_number,
        "phones": [
            PhoneRead(number=p.number, label=p.label, masked=mask_phone(p.number))
            for p in patient.phones
        ],
        "email": patient.email,
        "address": patient.address,
        "guardian_id": patient.guardian_id,
        "language": patient.language,
        "preferred_channel": patient.preferred_channel,
        "consents": [
            ConsentRead(topic=c.topic, granted=c.granted, at=c.at, source=c.source)
            for c in patient.consents
        ],
        "notes": patient.notes,
        "tags": list(patient.tags),
        "merged_into_id": patient.merged_into_id,
        "version": patient.version,
        "created_at": patient.created_at,
        "updated_at": patient.updated_at,
    }


def record_read(record: PatientRecord) -> PatientRecordRead:
    return PatientRecordRead(
        **_read_fields(record.patient),
        guardian=patient_summary(record.guardian) if record.guardian else None,
        wards=[patient_summary(w) for w in record.wards],
        merges=[merge_read(m) for m in record.merges],
        needs_guardian=record.needs_guardian,
    )


def merge_read(merge: MergeRecord) -> MergeRead:
    return MergeRead(
        survivor_id=merge.survivor_id,
        duplicate_id=merge.duplicate_id,
        staff_id=merge.staff_id,
        at=merge.at,
        reason=merge.reason,
    )


def page_read(page: PatientPage) -> PatientPageRead:
    return PatientPageRead(
        items=[patient_summary(p) for p in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


def duplicate_read(candidate: DuplicateCandidate) -> DuplicateRead:
    return DuplicateRead(
        patient=patient_summary(candidate.patient), reasons=sorted(candidate.reasons)
    )
