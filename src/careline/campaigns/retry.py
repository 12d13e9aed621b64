"""What happens after each call attempt: done, or another attempt at a later time (pure).

Outcomes come from the trunk (answered, busy, no answer, failed) or from the patient on
an answered call (keyed 9: opted out). A retry waits by outcome (busy 10 min, no answer
2 h, failed 30 min by default) and there are at most ``max_attempts`` attempts; after the
last one the patient is "unreached".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from careline.campaigns.model import TargetStatus


class AttemptOutcome(StrEnum):
    ANSWERED = "answered"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    FAILED = "failed"
    OPTED_OUT = "opted_out"


class AttemptState(StrEnum):
    DUE = "due"
    CLAIMED = "claimed"
    DONE = "done"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Delays before the next attempt by outcome, and the attempt limit."""

    busy_seconds: float = 600.0
    no_answer_seconds: float = 7200.0
    failed_seconds: float = 1800.0
    max_attempts: int = 3

    def delay(self, outcome: AttemptOutcome) -> timedelta | None:
        """The wait before retrying after ``outcome``; None when it is not retried."""
        match outcome:
            case AttemptOutcome.BUSY:
                return timedelta(seconds=self.busy_seconds)
            case AttemptOutcome.NO_ANSWER:
                return timedelta(seconds=self.no_answer_seconds)
            case AttemptOutcome.FAILED:
                return timedelta(seconds=self.failed_seconds)
        return None


@dataclass(frozen=True, slots=True)
class Retry:
    """Try again: attempt ``number`` is due at ``due_at``."""

    number: int
    due_at: datetime


@dataclass(frozen=True, slots=True)
class Finished:
    """No more attempts; the patient's final status."""

    status: TargetStatus


def after_attempt(
    policy: RetryPolicy, *, number: int, outcome: AttemptOutcome, ended_at: datetime
) -> Retry | Finished:
    """Decide what follows attempt ``number`` (1-based) that ended with ``outcome``."""
    match outcome:
        case AttemptOutcome.ANSWERED:
            return Finished(TargetStatus.REACHED)
        case AttemptOutcome.OPTED_OUT:
            return Finished(TargetStatus.OPTED_OUT)
    delay = policy.delay(outcome)
    if delay is None or number >= policy.max_attempts:
        return Finished(TargetStatus.UNREACHED)
    return Retry(number + 1, ended_at + delay)
