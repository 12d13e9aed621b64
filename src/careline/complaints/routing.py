"""Routing rules (pure): which department's queue a new ticket lands in.

Rules are tried by ascending priority; the first whose every given condition holds wins.
A condition left empty matches anything. Keywords match when any one of them appears in
the subject or body (case-folded, NFKC so full-width text matches). A ticket no rule takes
goes to the complaint office's triage queue (department ``None``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from careline.complaints.model import TicketDraft, TicketKind


@dataclass(frozen=True, slots=True)
class RoutingRule:
    """Send matching tickets to ``target_department_id``."""

    id: int
    target_department_id: int
    priority: int = 100
    kind: TicketKind | None = None
    category: str = ""
    department_id: int | None = None
    doctor_id: int | None = None
    keywords: tuple[str, ...] = ()
    active: bool = True


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def rule_matches(rule: RoutingRule, draft: TicketDraft) -> bool:
    """Tell whether every condition the rule sets holds for the ticket."""
    if not rule.active:
        return False
    if rule.kind is not None and rule.kind is not draft.kind:
        return False
    if rule.category and _fold(rule.category) != _fold(draft.category):
        return False
    if rule.department_id is not None and rule.department_id != draft.department_id:
        return False
    if rule.doctor_id is not None and rule.doctor_id != draft.doctor_id:
        return False
    if rule.keywords:
        text = _fold(f"{draft.subject}\n{draft.body}")
        return any(_fold(word) in text for word in rule.keywords if word.strip())
    return True


def route_ticket(draft: TicketDraft, rules: Iterable[RoutingRule]) -> RoutingRule | None:
    """Return the rule that takes the ticket, or None for the complaint office."""
    for rule in sorted(rules, key=lambda r: (r.priority, r.id)):
        if rule_matches(rule, draft):
            return rule
    return None


def parse_keywords(text: str) -> tuple[str, ...]:
    """Split keywords typed with commas (ASCII or Chinese) or new lines."""
    cleaned = unicodedata.normalize("NFKC", text).replace("、", ",").replace("\n", ",")
    return tuple(word.strip() for word in cleaned.split(",") if word.strip())


def join_keywords(words: Sequence[str]) -> str:
    """Store keywords as one comma-separated string."""
    return ",".join(words)
