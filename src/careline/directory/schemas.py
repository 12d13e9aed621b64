"""Pydantic shapes of the directory's REST API.

Field limits here only stop absurd payloads; the precise rules and their messages live in
``careline.directory.validation`` so forms and the API refuse the same things.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, time
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from careline.directory.model import (
    ClinicType,
    DoctorTitle,
    ExceptionKind,
    SessionPeriod,
)
from careline.directory.sessions import CancelReason

Text = Annotated[str, Field(max_length=100_000)]
Short = Annotated[str, Field(max_length=1_000)]


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    @classmethod
    def of(cls, entity: Any, **extra: Any) -> Any:
        """Build from a model dataclass (tuples become lists)."""
        return cls.model_validate({**dataclasses.asdict(entity), **extra})


class HospitalWrite(BaseModel):
    name_zh: Short
    name_en: Short = ""
    address_zh: Short = ""
    address_en: Short = ""
    main_phone: Short = ""
    website: Short = ""
    introduction_zh: Text = ""
    introduction_en: Text = ""


class HospitalRead(HospitalWrite, _Out):
    pass


class DepartmentWrite(BaseModel):
    name_zh: Short
    name_en: Short = ""
    description_zh: Text = ""
    description_en: Text = ""
    location: Short = ""
    phone: Short = ""
    opening_hours: Short = ""
    parent_id: int | None = None
    sort_order: int = 0


class DepartmentRead(DepartmentWrite, _Out):
    id: int


class WeeklySessionWrite(BaseModel):
    weekday: int = Field(description="0 = Monday … 6 = Sunday")
    period: SessionPeriod
    capacity: int
    registration_fee: int = Field(description="fen")
    clinic_type: ClinicType = ClinicType.GENERAL
    start_time: time | None = None
    end_time: time | None = None
    runs_on_holidays: bool = False


class WeeklySessionRead(WeeklySessionWrite, _Out):
    id: int
    doctor_id: int


class DoctorWrite(BaseModel):
    department_id: int
    name: Short
    title: DoctorTitle
    doctor_number: Short
    name_en: Short = ""
    specialty_zh: Short = ""
    specialty_en: Short = ""
    introduction_zh: Text = ""
    introduction_en: Text = ""
    photo: Short = ""
    active: bool = True
    sessions: list[WeeklySessionWrite] | None = Field(
        default=None, description="the weekly template; omit to keep it unchanged"
    )


class DoctorRead(_Out):
    id: int
    department_id: int
    name: str
    name_en: str
    title: DoctorTitle
    title_zh: str
    title_en: str
    doctor_number: str
    specialty_zh: str
    specialty_en: str
    introduction_zh: str
    introduction_en: str
    photo: str
    active: bool


class DoctorDetail(DoctorRead):
    sessions: list[WeeklySessionRead]


class DepartmentDetail(DepartmentRead):
    doctors: list[DoctorRead]


class ClinicSessionRead(_Out):
    doctor_id: int
    department_id: int
    day: date
    period: SessionPeriod
    starts_at: datetime
    ends_at: datetime
    capacity: int
    registration_fee: int
    clinic_type: ClinicType
    template_id: int
    cancelled: bool
    cancel_reason: CancelReason | None
    cancel_note: str
    cancel_note_en: str


class ExceptionWrite(BaseModel):
    kind: ExceptionKind
    first_day: date
    last_day: date
    reason: Short = ""
    period: SessionPeriod | None = None
    doctor_id: int | None = None
    department_id: int | None = None


class ExceptionRead(ExceptionWrite, _Out):
    id: int


class DrugWrite(BaseModel):
    code: Short
    name_zh: Short
    specification: Short
    unit: Short
    price: int = Field(description="fen")
    name_en: Short = ""
    usage_notes: Text = ""
    category: Short = ""


class DrugRead(DrugWrite, _Out):
    id: int


class DrugPage(BaseModel):
    items: list[DrugRead]
    total: int


class ArticleWrite(BaseModel):
    title: Short
    body: Text
    language: Short = "zh-CN"
    published_on: date
    tags: list[Annotated[str, Field(max_length=200)]] = Field(default_factory=list, max_length=50)


class ArticleRead(ArticleWrite, _Out):
    id: int


class InstructionWrite(BaseModel):
    title: Short
    body: Text
    language: Short = "zh-CN"
    sort_order: int = 0


class InstructionRead(InstructionWrite, _Out):
    id: int


class DocumentWrite(BaseModel):
    code: Short
    title: Short
    body: Text = ""
    file_path: Short = ""


class DocumentRead(DocumentWrite, _Out):
    id: int
