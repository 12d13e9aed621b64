"""The campaigns domain: kinds, audiences, channels, consent, templates and errors (pure).

A campaign picks its audience by a saved rule over patient facts, reaches each patient on
one channel chosen by preference and consent, and keeps every call attempt as a row with
a due time (see ``retry.py``, ``windows.py`` and ``pacing.py`` for the dialling rules).
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from careline.campaigns.lunar import Festival, festival_on, is_lunar_birthday, is_solar_birthday
from careline.campaigns.vaccines import NATIONAL_SCHEDULE, VaccineDose, doses_due_on
from careline.kit.errors import CarelineError, Conflict, InvalidInput, NotFound

MAX_NAME = 120
MAX_BODY = 1000


class CampaignKind(StrEnum):
    CARE = "care"  # greetings: marketing-like, need consent
    REMINDER = "reminder"
    SURVEY = "survey"


class AudienceKind(StrEnum):
    BIRTHDAY = "birthday"  # solar, or lunar for patients who keep lunar birthdays
    FESTIVAL = "festival"
    APPOINTMENT_TOMORROW = "appointment_tomorrow"
    CHECKUP_DUE = "checkup_due"
    VACCINATION = "vaccination"
    FOLLOW_UP = "follow_up"
    RECENT_VISIT = "recent_visit"
    EVERYONE = "everyone"  # hospital-wide notices (e.g. a clinic moving)


class MessageKind(StrEnum):
    """How an SMS carrier classes a message: marketing needs its own route and signature."""

    MARKETING = "marketing"
    NOTIFICATION = "notification"


def message_kind(kind: CampaignKind) -> MessageKind:
    """Greetings count as marketing; reminders and surveys are service notifications."""
    return MessageKind.MARKETING if kind is CampaignKind.CARE else MessageKind.NOTIFICATION


class Channel(StrEnum):
    VOICE = "voice"
    SMS = "sms"
    EMAIL = "email"


class CampaignStatus(StrEnum):
    DRAFT = "draft"
    RUNNING = "running"
    PAUSED = "paused"
    FINISHED = "finished"


class TargetStatus(StrEnum):
    PENDING = "pending"
    REACHED = "reached"
    UNREACHED = "unreached"
    OPTED_OUT = "opted_out"
    SENT = "sent"  # handed to the SMS/email channel
    SKIPPED = "skipped"  # do-not-call or no usable channel when its turn came


@dataclass(frozen=True, slots=True)
class AudienceRule:
    """Who a campaign reaches; ``days`` is the follow-up delay, check-up interval or lead."""

    kind: AudienceKind
    days: int = 0
    festival: Festival | None = None
    schedule: tuple[VaccineDose, ...] = NATIONAL_SCHEDULE

    def validate(self) -> None:
        """Refuse a rule that cannot select anyone sensibly."""
        if self.days < 0 or self.days > 3650:
            raise InvalidCampaign("The number of days must be between 0 and 3650.", field="days")
        if self.kind is AudienceKind.CHECKUP_DUE and self.days < 1:
            raise InvalidCampaign("A check-up interval needs at least one day.", field="days")


@dataclass(frozen=True, slots=True)
class Appointment:
    """A booked visit the reminder speaks of."""

    day: date
    doctor: str = ""
    starts_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PatientFacts:
    """What audience rules and channel choice need to know about one patient."""

    patient_id: int
    name: str
    gender: str = "unknown"
    birth_date: date | None = None
    lunar_birthday: bool = False
    language: str = "zh-CN"
    preferred_channel: Channel = Channel.VOICE
    phone: str | None = None
    email: str | None = None
    consents: Mapping[str, bool] = field(default_factory=dict)
    last_visit: date | None = None
    appointment: Appointment | None = None
    checkup_due: date | None = None  # earliest stored check-up due date, if any


def matches(rule: AudienceRule, facts: PatientFacts, today: date) -> bool:
    """Tell whether the patient belongs to the rule's audience on ``today`` (hospital day)."""
    born = facts.birth_date
    match rule.kind:
        case AudienceKind.BIRTHDAY:
            if born is None:
                return False
            check = is_lunar_birthday if facts.lunar_birthday else is_solar_birthday
            return check(born, today)
        case AudienceKind.FESTIVAL:
            found = festival_on(today)
            return found is not None and rule.festival in (None, found)
        case AudienceKind.APPOINTMENT_TOMORROW:
            return facts.appointment is not None and facts.appointment.day == today + _DAY
        case AudienceKind.FOLLOW_UP:
            return facts.last_visit == today - timedelta(days=rule.days)
        case AudienceKind.RECENT_VISIT:
            return facts.last_visit is not None and today - facts.last_visit <= _days(rule.days)
        case AudienceKind.CHECKUP_DUE:
            return facts.appointment is None and _checkup_due(rule, facts, today)
        case AudienceKind.EVERYONE:
            return True
        case AudienceKind.VACCINATION:
            ahead = today + timedelta(days=rule.days)
            return born is not None and bool(doses_due_on(born, ahead, rule.schedule))
    return False  # pragma: no cover - every kind is matched above


_DAY = timedelta(days=1)


def _checkup_due(rule: AudienceRule, facts: PatientFacts, today: date) -> bool:
    # A stored due date wins over the interval: the doctor set it for this patient.
    if facts.checkup_due is not None:
        return facts.checkup_due <= today
    visit = facts.last_visit
    return visit is not None and visit + timedelta(days=rule.days) <= today


def _days(count: int) -> timedelta:
    return timedelta(days=count)


MARKETING = "marketing"


def needs_marketing_consent(kind: CampaignKind) -> bool:
    """Greetings may count as marketing: they go only to patients who consented."""
    return kind is CampaignKind.CARE


def choose_channel(
    facts: PatientFacts,
    kind: CampaignKind,
    allowed: tuple[Channel, ...],
    *,
    marketing_sms: bool = False,
) -> Channel | None:
    """Pick the patient's preferred channel if usable, else the first usable allowed one.

    Greetings never take SMS unless ``marketing_sms`` says the SMS route is a marketing one.
    """
    if needs_marketing_consent(kind) and not facts.consents.get(MARKETING, False):
        return None
    if message_kind(kind) is MessageKind.MARKETING and not marketing_sms:
        allowed = tuple(c for c in allowed if c is not Channel.SMS)
    order = [facts.preferred_channel, *[c for c in allowed if c != facts.preferred_channel]]
    for channel in order:
        if channel not in allowed or facts.consents.get(channel.value) is False:
            continue
        address = facts.email if channel is Channel.EMAIL else facts.phone
        if address:
            return channel
    return None


@dataclass(frozen=True, slots=True)
class MessageTemplate:
    """A message in Chinese and English with fields {name}, {title}, {date}, {doctor}."""

    body_zh: str
    body_en: str = ""
    subject_zh: str = ""
    subject_en: str = ""

    def validate(self) -> None:
        """Refuse empty texts, unknown fields and texts that are too long."""
        if not self.body_zh.strip():
            raise InvalidCampaign("The Chinese message text is required.", field="body_zh")
        for text in (self.body_zh, self.body_en, self.subject_zh, self.subject_en):
            if len(text) > MAX_BODY:
                raise InvalidCampaign("The message text is too long.", field="body_zh")
            for _, name, _, _ in string.Formatter().parse(text):
                if name is not None and name not in TEMPLATE_FIELDS:
                    raise InvalidCampaign(
                        "The message uses a field that does not exist.", field="body_zh"
                    )

    def render(self, language: str, values: Mapping[str, str]) -> tuple[str, str]:
        """Return (subject, body) in ``language`` (Chinese when the English text is empty)."""
        english = language == "en" and bool(self.body_en.strip())
        body = self.body_en if english else self.body_zh
        subject = self.subject_en if english else self.subject_zh
        filled = {name: values.get(name, "") for name in TEMPLATE_FIELDS}
        return subject.format_map(filled), body.format_map(filled)


TEMPLATE_FIELDS = ("name", "title", "date", "doctor")


def salutation(gender: str, language: str) -> str:
    """The polite title for a patient: 先生/女士 or Mr/Ms (empty when the gender is unknown)."""
    titles = {"zh-CN": {"male": "先生", "female": "女士"}, "en": {"male": "Mr", "female": "Ms"}}
    return titles.get(language, titles["zh-CN"]).get(gender, "")


def template_values(facts: PatientFacts, language: str) -> dict[str, str]:
    """The field values for one patient's message."""
    visit = facts.appointment
    # {date} is the visit booked, else the check-up due date, else empty.
    when = visit.day if visit is not None else facts.checkup_due
    if when is None:
        day = ""
    elif language == "en":
        day = when.strftime("%d %B %Y")
    else:
        day = f"{when.month}月{when.day}日"
    return {
        "name": facts.name,
        "title": salutation(facts.gender, language),
        "date": day,
        "doctor": visit.doctor if visit else "",
    }


class CampaignError(CarelineError):
    error_id = "campaign_error"


class CampaignNotFound(CampaignError, NotFound):
    error_id = "campaign_not_found"


class InvalidCampaign(CampaignError, InvalidInput):
    error_id = "invalid_campaign"


class CampaignStateConflict(CampaignError, Conflict):
    error_id = "campaign_state_conflict"


def move_status(current: CampaignStatus, wanted: CampaignStatus) -> CampaignStatus:
    """Apply a start, pause, resume or finish, refusing moves that make no sense."""
    match (current, wanted):
        case (CampaignStatus.DRAFT, CampaignStatus.RUNNING):
            return wanted
        case (CampaignStatus.RUNNING, CampaignStatus.PAUSED | CampaignStatus.FINISHED):
            return wanted
        case (CampaignStatus.PAUSED, CampaignStatus.RUNNING | CampaignStatus.FINISHED):
            return wanted
        case (CampaignStatus.DRAFT, CampaignStatus.FINISHED):
            return wanted
    raise CampaignStateConflict("The campaign cannot move to that state now.")
