"""Which deadline the escalation worker watches next, and when to warn (pure)."""

from __future__ import annotations

from datetime import datetime

from careline.complaints.model import OPEN_STATES, SlaPolicy, TicketStatus


def next_escalation_due(
    *,
    status: TicketStatus,
    level: int,
    policy: SlaPolicy,
    first_response_due_at: datetime | None,
    first_responded_at: datetime | None,
    resolution_due_at: datetime | None,
) -> datetime | None:
    """Return when the ticket escalates next, or None (paused, finished or at the top)."""
    if status not in OPEN_STATES or level >= policy.top_level:
        return None
    candidates = [resolution_due_at]
    # Only the first holder owes a first response; a higher level gets its own deadline.
    if level == 0 and first_responded_at is None:
        candidates.append(first_response_due_at)
    present = [moment for moment in candidates if moment is not None]
    return min(present) if present else None


def warning_due(
    *, status: TicketStatus, warn_at: datetime | None, resolution_due_at: datetime | None
) -> datetime | None:
    """Return when to warn about the resolution deadline, or None if nothing to warn about."""
    if status not in OPEN_STATES or resolution_due_at is None or warn_at is None:
        return None
    return warn_at
