"""CommunicationRequest from campaign attempts: status map, masked payload, occurrence."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from careline.campaigns.model import MessageTemplate
from careline.integrations.fhir.communication_request import (
    InvalidSearch,
    communication_request,
    occurrence_bounds,
)
from careline.integrations.fhir.resources import validate
from careline.integrations.model import PlannedContact, request_status

SHANGHAI = ZoneInfo("Asia/Shanghai")
DUE = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
CONTACT = PlannedContact(
    attempt_id=7,
    target_id=3,
    campaign_id=1,
    campaign_kind="survey",
    campaign_status="running",
    urgent=False,
    patient_id=42,
    channel="sms",
    language="en",
    fields={"name": "Li Lei", "title": "Mr", "date": "26 November 2026", "doctor": "Dr Wang"},
    template=MessageTemplate(body_zh="{name}您好", body_en="Dear {title} {name}, see {doctor}"),
    number=1,
    state="due",
    outcome=None,
    due_at=DUE,
)


@pytest.mark.parametrize(
    ("state", "campaign", "outcome", "status"),
    [
        ("due", "running", None, "active"),
        ("claimed", "running", None, "active"),
        ("due", "paused", None, "on-hold"),
        ("claimed", "finished", None, "revoked"),
        ("done", "finished", "cancelled", "revoked"),
        ("done", "running", "skipped", "revoked"),
        ("done", "running", "no_answer", "completed"),
        ("done", "finished", "answered", "completed"),
    ],
)
def test_status_follows_the_attempt_and_campaign(
    state: str, campaign: str, outcome: str | None, status: str
) -> None:
    contact = replace(CONTACT, state=state, campaign_status=campaign, outcome=outcome)
    assert request_status(contact) == status


def test_resource_is_valid_and_keeps_the_name_out() -> None:
    resource = validate(communication_request(CONTACT))
    assert resource["payload"] == [{"contentString": "Dear {title} {name}, see Dr Wang"}]
    assert "Li Lei" not in str(resource)
    assert resource["medium"][0]["coding"][0]["code"] == "WRITTEN"
    assert [c["code"] for c in resource["category"][0]["coding"]] == ["survey"]
    assert resource["subject"] == {"reference": "Patient/42"}


def test_occurrence_dates_cover_the_hospital_day() -> None:
    midnight = datetime(2026, 11, 25, tzinfo=SHANGHAI)
    nextday = midnight + timedelta(days=1)
    assert occurrence_bounds(["2026-11-25"], SHANGHAI) == [(">=", midnight), ("<", nextday)]
    assert occurrence_bounds(["le2026-11-25", "gt2026-11-24"], SHANGHAI) == [
        ("<", nextday),
        (">=", midnight),
    ]
    assert occurrence_bounds(["lt2026-11-25T10:00:00Z"], SHANGHAI) == [
        ("<", datetime(2026, 11, 25, 10, tzinfo=UTC))
    ]
    with pytest.raises(InvalidSearch):
        occurrence_bounds(["ge25/11/2026"], SHANGHAI)
