"""Stored campaigns, targets, claimed attempts and progress figures (pure dataclasses)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from careline.campaigns.lunar import Festival
from careline.campaigns.model import (
    AudienceKind,
    AudienceRule,
    CampaignKind,
    CampaignStatus,
    Channel,
    MessageTemplate,
    TargetStatus,
)
from careline.campaigns.survey import Questionnaire
from careline.campaigns.vaccines import NATIONAL_SCHEDULE, VaccineDose, parse_schedule


@dataclass(frozen=True, slots=True, kw_only=True)
class Campaign:
    """A campaign as stored."""

    id: int
    name: str
    kind: CampaignKind
    status: CampaignStatus
    rule: AudienceRule
    channels: tuple[Channel, ...]
    template: MessageTemplate
    questionnaire: Questionnaire | None = None
    urgent: bool = False
    audience_day: date | None = None
    starts_at: datetime | None = None
    audience_size: int = 0
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """One patient of a campaign, reached on one channel at one address."""

    id: int
    campaign_id: int
    patient_id: int
    channel: Channel
    address: str
    language: str
    fields: Mapping[str, str]
    status: TargetStatus
    attempts: int
    token: str
    last_outcome: str | None = None


@dataclass(frozen=True, slots=True)
class ClaimedAttempt:
    """A due attempt this worker now holds until ``lease_until``."""

    attempt_id: int
    number: int
    target: Target
    lease_until: datetime


@dataclass(frozen=True, slots=True)
class Progress:
    """Figures for the progress and results pages."""

    targets: int
    by_status: Mapping[str, int]
    attempts_by_outcome: Mapping[str, int]
    answers: Mapping[str, Mapping[str, int]] = field(default_factory=dict)

    @property
    def finished(self) -> int:
        return self.targets - self.by_status.get(TargetStatus.PENDING.value, 0)

    @property
    def reached(self) -> int:
        return sum(
            self.by_status.get(status.value, 0)
            for status in (TargetStatus.REACHED, TargetStatus.OPTED_OUT, TargetStatus.SENT)
        )

    @property
    def percent_done(self) -> int:
        return round(100 * self.finished / self.targets) if self.targets else 0

    @property
    def reach_rate(self) -> float:
        return self.reached / self.finished if self.finished else 0.0


@dataclass(frozen=True, slots=True)
class Comment:
    """A survey comment: a recording from a call or a text from the web form."""

    target_id: int
    text: str
    recording: str | None
    at: datetime


def rule_to_data(rule: AudienceRule) -> dict[str, Any]:
    """The JSON form of an audience rule."""
    schedule = None
    if rule.schedule != NATIONAL_SCHEDULE:
        schedule = "\n".join(
            f"{d.vaccine},{d.dose},{d.age_months},{d.name_zh}" for d in rule.schedule
        )
    return {
        "kind": rule.kind.value,
        "days": rule.days,
        "festival": rule.festival.value if rule.festival else None,
        "schedule": schedule,
    }


def rule_from_data(data: Mapping[str, Any]) -> AudienceRule:
    """Read an audience rule back from JSON."""
    schedule: tuple[VaccineDose, ...] = NATIONAL_SCHEDULE
    if data.get("schedule"):
        schedule = parse_schedule(str(data["schedule"]))
    festival = data.get("festival")
    return AudienceRule(
        AudienceKind(data["kind"]),
        days=int(data.get("days", 0)),
        festival=Festival(festival) if festival else None,
        schedule=schedule,
    )
