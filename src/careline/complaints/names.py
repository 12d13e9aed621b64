"""English words for stored values; templates translate the words, never the slugs."""

from __future__ import annotations

from collections.abc import Iterable

from careline.directory.model import Department

NAMES = {
    "complaint": "Complaint",
    "suggestion": "Suggestion",
    "praise": "Praise",
    "report": "Report of misconduct",
    "ivr": "Voice message",
    "desk": "Service desk",
    "email": "Email",
    "web": "Web form",
    "api": "API",
    "new": "New",
    "triaged": "Triaged",
    "in_progress": "In progress",
    "awaiting_patient": "Awaiting the patient",
    "resolved": "Resolved",
    "closed": "Closed",
    "reopened": "Reopened",
    "escalated": "Escalated",
    "sms": "SMS",
    "voice": "Phone call",
    "none": "No feedback",
    "status": "State changed",
    "note": "Internal note",
    "reply": "Reply to the patient",
    "patient_message": "Message from the patient",
    "assignment": "Taken",
    "escalation": "Escalation",
    "warning": "Deadline warning",
    "merge": "Merge",
    "department": "Department",
    "complaint_office": "Complaint office",
    "leadership": "Hospital leadership",
}


def department_names(departments: Iterable[Department], language: str) -> dict[int, str]:
    """Map department ids to their names in ``language``."""
    return {department.id: department.name(language) for department in departments}
