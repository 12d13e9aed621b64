"""Exchange with the hospital's systems, pure: identifiers, log entries, retry rules."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from careline.campaigns.model import MessageTemplate
from careline.kit.errors import CarelineError

MAX_PAYLOAD = 200_000
MAX_ERROR = 500


class IdentifierSystem(StrEnum):
    MRN = "mrn"  # medical record number (病案号)
    ID_CARD = "id_card"  # resident identity card (身份证)
    INSURANCE = "insurance"  # medical insurance number (医保号)
    FHIR_ID = "fhir_id"  # the patient's logical id on the HIS's FHIR server


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


class Protocol(StrEnum):
    HL7V2 = "hl7v2"
    FHIR = "fhir"


class Outcome(StrEnum):
    ACCEPTED = "accepted"  # AA
    ERROR = "error"  # AE
    REJECTED = "rejected"  # AR
    DUPLICATE = "duplicate"
    SENT = "sent"
    FAILED = "failed"
    CONFLICT = "conflict"  # the HIS and Careline disagree; nothing was changed


class PushEvent(StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"


class PushTarget(StrEnum):
    HL7 = "hl7"
    FHIR = "fhir"


class PushStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    GIVEN_UP = "given_up"


@dataclass(frozen=True, slots=True)
class HisIdentifier:
    system: IdentifierSystem
    value: str


@dataclass(frozen=True, slots=True)
class IdentifierConflict:
    id: int
    system: IdentifierSystem
    value: str
    held_by_patient_id: int | None
    claimed_for_patient_id: int | None
    source: str
    created_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class ExchangeEntry:
    direction: Direction
    protocol: Protocol
    kind: str
    control_id: str
    outcome: Outcome
    error: str = ""
    payload: str = ""
    id: int = 0
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Push:
    id: int
    booking_id: int
    event: PushEvent
    target: PushTarget
    status: PushStatus
    attempts: int
    next_attempt_at: datetime | None
    last_error: str


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How failed pushes are retried: doubling delays up to a ceiling, then given up."""

    first_delay_seconds: float = 30.0
    max_delay_seconds: float = 3600.0
    max_attempts: int = 10

    def next_attempt(self, attempts: int, now: datetime) -> datetime | None:
        """Return when to try again after ``attempts`` failures, or None to give up."""
        if attempts >= self.max_attempts:
            return None
        delay = min(self.first_delay_seconds * 2 ** max(attempts - 1, 0), self.max_delay_seconds)
        return now + timedelta(seconds=delay)


def token_digest(token: str) -> str:
    """Return the SHA-256 hex digest a client token is stored as."""
    return hashlib.sha256(token.encode()).hexdigest()


def clip(text: str, limit: int) -> str:
    """Cut text to the column's size."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


class IntegrationError(CarelineError):
    error_id = "integration_error"


class IdentifierConflictError(IntegrationError):
    status_code = 409
    error_id = "his_identifier_conflict"

    def __init__(self) -> None:
        super().__init__("The hospital system's identifier already belongs to another patient.")


class UnknownHisPatient(IntegrationError):
    status_code = 404
    error_id = "his_patient_unknown"

    def __init__(self) -> None:
        super().__init__("No patient is known under the hospital system's identifier.")


class UnknownHisAppointment(IntegrationError):
    status_code = 404
    error_id = "his_appointment_unknown"

    def __init__(self) -> None:
        super().__init__("No booking is known under the hospital system's appointment number.")


class InvalidClientToken(IntegrationError):
    status_code = 401
    error_id = "invalid_client_token"

    def __init__(self) -> None:
        super().__init__("The system client's token is missing, unknown or revoked.")


@dataclass(frozen=True, slots=True, kw_only=True)
class PlannedContact:
    """One campaign attempt as read from the campaigns tables (a CommunicationRequest)."""

    attempt_id: int
    target_id: int
    campaign_id: int
    campaign_kind: str  # care | reminder | survey
    campaign_status: str  # draft | running | paused | finished
    urgent: bool
    patient_id: int
    channel: str  # voice | sms | email
    language: str
    fields: Mapping[str, str]
    template: MessageTemplate
    number: int
    state: str  # due | claimed | done
    outcome: str | None
    due_at: datetime
    started_at: datetime | None = None


# Outcomes of attempts that were never made: finishing a campaign or the do-not-call list.
NOT_MADE = ("cancelled", "skipped")
OPEN_STATES = ("due", "claimed")


def request_status(contact: PlannedContact) -> str:
    """Map an attempt's state (and its campaign's) to a CommunicationRequest status."""
    if contact.state in OPEN_STATES:
        return {"running": "active", "paused": "on-hold"}.get(contact.campaign_status, "revoked")
    return "revoked" if contact.outcome in NOT_MADE else "completed"


def masked_message(contact: PlannedContact) -> str:
    """The rendered message with the patient's name and title left as ``{name}``/``{title}``."""
    values = dict(contact.fields) | {"name": "{name}", "title": "{title}"}
    return contact.template.render(contact.language, values)[1]
