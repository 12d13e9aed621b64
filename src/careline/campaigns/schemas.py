"""REST shapes of the campaigns API."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, Field

from careline.campaigns.forms import CampaignForm, read_campaign_form
from careline.campaigns.records import Campaign, Progress


class CampaignCreate(BaseModel):
    name: str = Field(max_length=120)
    kind: str
    audience: str
    days: int = Field(0, ge=0, le=3650)
    festival: str = ""
    schedule: str = ""
    channels: list[str] = Field(min_length=1)
    urgent: bool = False
    body_zh: str = Field(max_length=1000)
    body_en: str = Field("", max_length=1000)
    subject_zh: str = Field("", max_length=1000)
    subject_en: str = Field("", max_length=1000)
    questionnaire: dict[str, Any] | None = None

    def to_form(self) -> CampaignForm:
        """Read through the same rules as the web form."""
        values = self.model_dump(exclude={"channels", "questionnaire", "urgent", "days"})
        values["days"] = str(self.days)
        values["urgent"] = "on" if self.urgent else ""
        values["questions"] = json.dumps(self.questionnaire) if self.questionnaire else ""
        return read_campaign_form(values, self.channels)


class StartRequest(BaseModel):
    starts_at: AwareDatetime | None = None


class CampaignRead(BaseModel):
    id: int
    name: str
    kind: str
    status: str
    audience: str
    channels: list[str]
    urgent: bool
    audience_day: date | None
    starts_at: datetime | None
    audience_size: int


class ProgressRead(BaseModel):
    targets: int
    by_status: dict[str, int]
    attempts_by_outcome: dict[str, int]
    answers: dict[str, dict[str, int]]
    percent_done: int
    reach_rate: float


def campaign_read(campaign: Campaign) -> CampaignRead:
    """The API view of a campaign."""
    return CampaignRead(
        id=campaign.id,
        name=campaign.name,
        kind=campaign.kind.value,
        status=campaign.status.value,
        audience=campaign.rule.kind.value,
        channels=[c.value for c in campaign.channels],
        urgent=campaign.urgent,
        audience_day=campaign.audience_day,
        starts_at=campaign.starts_at,
        audience_size=campaign.audience_size,
    )


def progress_read(progress: Progress) -> ProgressRead:
    """The API view of a campaign's progress."""
    return ProgressRead(
        targets=progress.targets,
        by_status=dict(progress.by_status),
        attempts_by_outcome=dict(progress.attempts_by_outcome),
        answers={k: dict(v) for k, v in progress.answers.items()},
        percent_done=progress.percent_done,
        reach_rate=progress.reach_rate,
    )
