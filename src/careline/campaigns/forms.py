"""Read the campaign form of the web pages into domain values (pure)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from enum import StrEnum
from typing import TypeVar

from careline.campaigns.lunar import Festival
from careline.campaigns.model import (
    AudienceKind,
    AudienceRule,
    CampaignKind,
    Channel,
    InvalidCampaign,
    MessageTemplate,
)
from careline.campaigns.survey import Questionnaire, questionnaire_from_data
from careline.campaigns.vaccines import NATIONAL_SCHEDULE, parse_schedule

_E = TypeVar("_E", bound=StrEnum)


@dataclass(frozen=True, slots=True)
class CampaignForm:
    """Everything ``create_campaign`` needs, read from a form."""

    name: str
    kind: CampaignKind
    rule: AudienceRule
    channels: tuple[Channel, ...]
    template: MessageTemplate
    questionnaire: Questionnaire | None
    urgent: bool


def _choice(enum: type[_E], value: str, field: str) -> _E:
    try:
        return enum(value)
    except ValueError as exc:
        raise InvalidCampaign("Choose one of the options offered.", field=field) from exc


def read_campaign_form(values: Mapping[str, str], channels: list[str]) -> CampaignForm:
    """Turn form fields into a campaign; raise InvalidCampaign naming the field."""
    kind = _choice(CampaignKind, values.get("kind", ""), "kind")
    audience = _choice(AudienceKind, values.get("audience", ""), "audience")
    days_text = values.get("days", "0").strip() or "0"
    if not days_text.isdigit():
        raise InvalidCampaign("The number of days must be between 0 and 3650.", field="days")
    festival = values.get("festival", "")
    schedule = NATIONAL_SCHEDULE
    if values.get("schedule", "").strip():
        try:
            schedule = parse_schedule(values["schedule"])
        except ValueError as exc:
            raise InvalidCampaign(
                "Each schedule line is vaccine,dose,age in months.", field="schedule"
            ) from exc
    rule = AudienceRule(
        audience,
        days=int(days_text),
        festival=_choice(Festival, festival, "festival") if festival else None,
        schedule=schedule,
    )
    questionnaire = None
    if values.get("questions", "").strip():
        questionnaire = read_questionnaire(values["questions"])
    return CampaignForm(
        name=values.get("name", "").strip(),
        kind=kind,
        rule=rule,
        channels=tuple(_choice(Channel, c, "channels") for c in channels),
        template=MessageTemplate(
            body_zh=values.get("body_zh", "").strip(),
            body_en=values.get("body_en", "").strip(),
            subject_zh=values.get("subject_zh", "").strip(),
            subject_en=values.get("subject_en", "").strip(),
        ),
        questionnaire=questionnaire,
        urgent=values.get("urgent") == "on",
    )


def read_questionnaire(text: str) -> Questionnaire:
    """Read a questionnaire written as JSON (see docs/campaigns.md)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidCampaign("The questionnaire is not valid.", field="questions") from exc
    if not isinstance(data, dict):
        raise InvalidCampaign("The questionnaire is not valid.", field="questions")
    return questionnaire_from_data(data)


def read_start_time(text: str, zone: tzinfo) -> datetime | None:
    """A ``datetime-local`` value in the hospital's zone, or None for "now"."""
    if not text.strip():
        return None
    try:
        return datetime.fromisoformat(text.strip()).replace(tzinfo=zone)
    except ValueError as exc:
        raise InvalidCampaign("The start time is not valid.", field="starts_at") from exc


def bar_chart(counts: Mapping[str, int], options: tuple[str, ...]) -> list[tuple[str, int, int]]:
    """Rows (answer, count, bar width in percent of the largest) in the question's order."""
    largest = max(counts.values(), default=0)
    return [
        (
            option,
            counts.get(option, 0),
            round(100 * counts.get(option, 0) / largest) if largest else 0,
        )
        for option in options
    ]
