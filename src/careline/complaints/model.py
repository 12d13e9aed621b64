"""Complaint tickets (pure): kinds, sources, the state table, ticket numbers and policy.

Ticket numbers are 12 digits, ``YYMMDD`` + a 5-digit daily sequence + a Verhoeff check
digit (e.g. ``261125 00042 9``). Twelve because the channels' subject token
``[#nnnnnnnnnnnn]`` threads email replies by exactly 12 digits; Verhoeff because it catches
every single wrong digit and every swap of two neighbours, the two mistakes people make
when keying a number in on a phone. A number is never reused: the database keeps one
counter row per day and a unique index on the number.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from stdnum import verhoeff

from careline.kit.errors import CarelineError

NUMBER_DIGITS = 12
MAX_DAILY_SEQUENCE = 99_999
MAX_SUBJECT = 200
MAX_BODY = 10_000
MAX_CATEGORY = 64
MAX_REASON = 500


class ComplaintError(CarelineError):
    error_id = "complaint_error"


class InvalidTicketNumber(ComplaintError):
    status_code = 422
    error_id = "invalid_ticket_number"


class TicketNotFound(ComplaintError):
    status_code = 404
    error_id = "ticket_not_found"


class InvalidTransition(ComplaintError):
    status_code = 409
    error_id = "invalid_transition"


class InvalidTicket(ComplaintError):
    status_code = 422
    error_id = "invalid_ticket"


class TicketChanged(ComplaintError):
    status_code = 409
    error_id = "ticket_changed"


class TicketKind(StrEnum):
    COMPLAINT = "complaint"
    SUGGESTION = "suggestion"
    PRAISE = "praise"
    REPORT = "report"  # 举报: misconduct reported by a patient or visitor


class TicketSource(StrEnum):
    IVR = "ivr"
    DESK = "desk"
    EMAIL = "email"
    WEB = "web"
    API = "api"


class TicketStatus(StrEnum):
    NEW = "new"
    TRIAGED = "triaged"
    IN_PROGRESS = "in_progress"
    AWAITING_PATIENT = "awaiting_patient"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REOPENED = "reopened"
    ESCALATED = "escalated"


class FeedbackChannel(StrEnum):
    SMS = "sms"
    EMAIL = "email"
    VOICE = "voice"
    NONE = "none"


class EventKind(StrEnum):
    STATUS = "status"
    NOTE = "note"  # internal, never shown to the patient
    REPLY = "reply"  # sent to the patient
    PATIENT_MESSAGE = "patient_message"
    ASSIGNMENT = "assignment"
    ESCALATION = "escalation"
    WARNING = "warning"
    MERGE = "merge"


# The clock runs in these states; it is paused while the patient is asked for something.
OPEN_STATES = frozenset(
    {
        TicketStatus.NEW,
        TicketStatus.TRIAGED,
        TicketStatus.IN_PROGRESS,
        TicketStatus.REOPENED,
        TicketStatus.ESCALATED,
    }
)
FINISHED_STATES = frozenset({TicketStatus.RESOLVED, TicketStatus.CLOSED})
# Moves that must say why: they change who owns the ticket or undo a decision.
REASON_REQUIRED = frozenset({TicketStatus.ESCALATED, TicketStatus.REOPENED})


def can_move(previous: TicketStatus, current: TicketStatus) -> bool:
    """Tell whether a ticket may go from ``previous`` to ``current``."""
    s = TicketStatus
    match (previous, current):
        case (s.NEW, s.TRIAGED | s.IN_PROGRESS | s.ESCALATED | s.CLOSED):
            return True
        case (s.TRIAGED | s.REOPENED, s.IN_PROGRESS | s.ESCALATED | s.CLOSED):
            return True
        case (s.NEW | s.TRIAGED | s.REOPENED, s.RESOLVED):
            # Handled on receipt (接诉即办): answered at the desk without further work.
            return True
        case (s.IN_PROGRESS, s.AWAITING_PATIENT | s.RESOLVED | s.ESCALATED | s.CLOSED):
            return True
        case (s.AWAITING_PATIENT, s.IN_PROGRESS | s.RESOLVED | s.ESCALATED | s.CLOSED):
            return True
        case (s.ESCALATED, s.TRIAGED | s.IN_PROGRESS | s.AWAITING_PATIENT | s.RESOLVED):
            return True
        case (s.ESCALATED, s.ESCALATED | s.CLOSED):
            # Escalated again to the next level; or closed as a duplicate.
            return True
        case (s.RESOLVED, s.CLOSED | s.REOPENED):
            return True
        case (s.CLOSED, s.REOPENED):
            return True
        case _:
            return False


def check_transition(previous: TicketStatus, current: TicketStatus, reason: str) -> None:
    """Raise InvalidTransition unless the move is allowed and carries a reason if it needs one."""
    if not can_move(previous, current):
        raise InvalidTransition("The ticket cannot move to this state from its current state.")
    closes_unresolved = current is TicketStatus.CLOSED and previous is not TicketStatus.RESOLVED
    if (current in REASON_REQUIRED or closes_unresolved) and not reason.strip():
        raise InvalidTransition("A reason is required for this change.")


# -- ticket numbers ----------------------------------------------------------------------


def make_ticket_number(day: date, sequence: int) -> str:
    """Return the 12-digit number of the ``sequence``-th ticket received on ``day``."""
    if not 1 <= sequence <= MAX_DAILY_SEQUENCE:
        raise ValueError("daily ticket sequence out of range")
    stem = f"{day:%y%m%d}{sequence:05d}"
    return stem + str(verhoeff.calc_check_digit(stem))


def parse_ticket_number(text: str) -> str:
    """Return the canonical 12 digits of a typed ticket number or raise InvalidTicketNumber."""
    # Full-width digits from Chinese input methods; spaces and dashes people add for reading.
    digits = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", text or ""))
    if not digits.isascii() or not digits.isdigit() or len(digits) != NUMBER_DIGITS:
        raise InvalidTicketNumber("A ticket number is 12 digits.", field="number")
    if not verhoeff.is_valid(digits):
        raise InvalidTicketNumber(
            "This ticket number is not valid; please check the digits.", field="number"
        )
    return digits


def spoken_groups(number: str) -> tuple[str, str, str]:
    """Split a number the way it is read out: date, sequence, check digit."""
    return number[:6], number[6:11], number[11:]


# -- policy ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    """Deadlines in working days and the escalation ladder (defaults: 2019 national rules)."""

    first_response_working_days: int = 1
    resolution_working_days: int = 5
    multi_department_working_days: int = 10
    warning_hours: int = 24
    # Extra working days each higher level gets after an escalation before the next one.
    escalation_step_working_days: int = 2
    levels: tuple[str, ...] = ("department", "complaint_office", "leadership")

    @property
    def top_level(self) -> int:
        return len(self.levels) - 1


# -- tickets -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TicketDraft:
    """What is known when a ticket is opened."""

    kind: TicketKind
    source: TicketSource
    subject: str
    body: str
    category: str = ""
    department_id: int | None = None  # the department the patient named
    doctor_id: int | None = None  # the doctor the patient named
    patient_id: int | None = None
    contact_name: str = ""
    contact_phone: str | None = None
    contact_email: str | None = None
    feedback_channel: FeedbackChannel = FeedbackChannel.NONE
    language: str = "zh-CN"
    recording_path: str | None = None
    multi_department: bool = False
    first_contact_staff_id: int | None = None
    email_message_id: str | None = None


@dataclass(frozen=True, slots=True)
class Ticket:
    """A stored ticket with its clock."""

    id: int
    number: str
    kind: TicketKind
    source: TicketSource
    status: TicketStatus
    subject: str
    body: str
    category: str
    named_department_id: int | None
    doctor_id: int | None
    queue_department_id: int | None  # None: the complaint office's triage queue
    patient_id: int | None
    contact_name: str
    contact_phone: str | None
    contact_email: str | None
    feedback_channel: FeedbackChannel
    language: str
    recording_path: str | None
    multi_department: bool
    first_contact_staff_id: int | None
    assignee_staff_id: int | None
    escalation_level: int
    received_at: datetime
    first_response_due_at: datetime | None
    first_responded_at: datetime | None
    resolution_due_at: datetime | None
    resolved_at: datetime | None
    paused_at: datetime | None
    next_escalation_at: datetime | None
    warn_at: datetime | None
    merged_into_id: int | None
    version: int

    def overdue(self, now: datetime) -> bool:
        """Tell whether a deadline has passed while the ticket is still open."""
        if self.status not in OPEN_STATES:
            return False
        due = [self.resolution_due_at]
        if self.first_responded_at is None:
            due.append(self.first_response_due_at)
        return any(moment is not None and moment <= now for moment in due)


@dataclass(frozen=True, slots=True)
class TicketEvent:
    """One line of a ticket's history: a change, a note, a reply or an escalation."""

    id: int
    ticket_id: int
    at: datetime
    kind: EventKind
    staff_id: int | None
    from_status: TicketStatus | None = None
    to_status: TicketStatus | None = None
    body: str = ""
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file on a ticket; a refused one keeps its name, size and why."""

    id: int
    ticket_id: int
    filename: str
    content_type: str
    size: int
    refused_reason: str | None = None


@dataclass(frozen=True, slots=True)
class StatusView:
    """What a patient may learn about a ticket by phone or on the public page."""

    number: str
    status: TicketStatus
    kind: TicketKind
    received_at: datetime
    resolution_due_at: datetime | None
    resolved_at: datetime | None
    last_reply: str = ""
