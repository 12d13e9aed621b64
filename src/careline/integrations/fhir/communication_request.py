"""Campaign attempts (planned calls, SMS and emails) as FHIR CommunicationRequest.

One CommunicationRequest per attempt: ``id`` is the attempt id, ``groupIdentifier`` the
campaign target, so the retries of one patient's call share a group. The payload is the
campaign's message rendered for the patient with the name and title left as fields: the
resource already points at the Patient, and the address (phone, email) is left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta, tzinfo

from careline.db.uow import UnitOfWork
from careline.integrations.campaign_reads import Bound, CampaignReadRepository
from careline.integrations.fhir.resources import Resource, instant, validate
from careline.integrations.model import (
    IntegrationError,
    PlannedContact,
    masked_message,
    request_status,
)

STATUSES = ("active", "on-hold", "revoked", "completed")
MODE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode"
CATEGORY = "http://terminology.hl7.org/CodeSystem/communication-category"
CAMPAIGN_KIND = "urn:careline:campaign-kind"
CAMPAIGN = "urn:careline:campaign"
ATTEMPT = "urn:careline:campaign-attempt"
TARGET = "urn:careline:campaign-target"
MEDIUM = {"voice": "PHONE", "sms": "WRITTEN", "email": "EMAILWRIT"}
HL7_CATEGORY = {"care": "notification", "reminder": "reminder"}


class InvalidSearch(IntegrationError):
    status_code = 400
    error_id = "fhir_invalid_search"


def _category(kind: str) -> Resource:
    codings = [{"system": CAMPAIGN_KIND, "code": kind}]
    if kind in HL7_CATEGORY:
        codings.append({"system": CATEGORY, "code": HL7_CATEGORY[kind]})
    return {"coding": codings, "text": kind}


def communication_request(contact: PlannedContact) -> Resource:
    """Return one campaign attempt as a CommunicationRequest."""
    patient = {"reference": f"Patient/{contact.patient_id}"}
    resource: Resource = {
        "resourceType": "CommunicationRequest",
        "id": str(contact.attempt_id),
        "identifier": [
            {"system": ATTEMPT, "value": str(contact.attempt_id)},
            {"system": CAMPAIGN, "value": str(contact.campaign_id)},
        ],
        "groupIdentifier": {"system": TARGET, "value": str(contact.target_id)},
        "status": request_status(contact),
        "category": [_category(contact.campaign_kind)],
        "priority": "urgent" if contact.urgent else "routine",
        "medium": [
            {
                "coding": [{"system": MODE, "code": MEDIUM[contact.channel]}],
                "text": contact.channel,
            }
        ],
        "subject": patient,
        "recipient": [patient],
        "occurrenceDateTime": instant(contact.due_at),
        "payload": [{"contentString": masked_message(contact) or "-"}],
    }
    if contact.outcome:
        resource["statusReason"] = {"text": contact.outcome}
    if contact.started_at is not None:
        resource["authoredOn"] = instant(contact.started_at)
    return resource


PREFIXES = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<", "eq": "="}


def occurrence_bounds(values: Sequence[str], zone: tzinfo) -> list[Bound]:
    """Read ``occurrence`` search values (ge/gt/le/lt/eq + date or date-time) as bounds.

    A date without a time means the whole hospital day: ``le2026-11-25`` ends at midnight.
    """
    bounds: list[Bound] = []
    for value in values:
        prefix = value[:2] if value[:2] in PREFIXES else "eq"
        text = value[2:] if value[:2] in PREFIXES else value
        operator = PREFIXES[prefix]
        try:
            if "T" in text:
                moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
                if moment.tzinfo is None:
                    moment = moment.replace(tzinfo=zone)
                bounds += (
                    [(">=", moment), ("<=", moment)] if operator == "=" else [(operator, moment)]
                )
                continue
            day = date.fromisoformat(text)
        except ValueError as exc:
            raise InvalidSearch("occurrence is not a FHIR date or date-time.") from exc
        start = datetime.combine(day, time(), tzinfo=zone)
        end = start + timedelta(days=1)
        bounds += {
            ">=": [(">=", start)],
            ">": [(">=", end)],
            "<=": [("<", end)],
            "<": [("<", start)],
            "=": [(">=", start), ("<", end)],
        }[operator]
    return bounds


def _statuses(text: str | None) -> list[str]:
    wanted = [s for s in (text or "").split(",") if s]
    if any(s not in STATUSES for s in wanted):
        raise InvalidSearch("The status is not one of active, on-hold, revoked, completed.")
    return wanted


async def read_request(uow: UnitOfWork, *, attempt_id: int) -> Resource | None:
    """Return one campaign attempt as a CommunicationRequest, or None."""
    contact = await CampaignReadRepository(uow.connection).contact(attempt_id)
    return None if contact is None else validate(communication_request(contact))


async def search_requests(
    uow: UnitOfWork,
    *,
    patient_id: int | None = None,
    status: str | None = None,
    occurrence: Sequence[Bound] = (),
    limit: int = 50,
    offset: int = 0,
) -> list[Resource]:
    """Search campaign attempts by patient, status (comma-separated) and due time."""
    found = await CampaignReadRepository(uow.connection).contacts(
        patient_id=patient_id,
        statuses=_statuses(status),
        occurrence=occurrence,
        limit=limit,
        offset=offset,
    )
    return [validate(communication_request(c)) for c in found]
