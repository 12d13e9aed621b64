"""The ticket state table, checked over every pair of states."""

from itertools import product

import pytest

from careline.complaints.model import (
    InvalidTransition,
    TicketStatus,
    can_move,
    check_transition,
)

S = TicketStatus
ALLOWED = {
    (S.NEW, S.TRIAGED),
    (S.NEW, S.IN_PROGRESS),
    (S.NEW, S.ESCALATED),
    (S.NEW, S.CLOSED),
    (S.NEW, S.RESOLVED),
    (S.TRIAGED, S.RESOLVED),
    (S.REOPENED, S.RESOLVED),
    (S.TRIAGED, S.IN_PROGRESS),
    (S.TRIAGED, S.ESCALATED),
    (S.TRIAGED, S.CLOSED),
    (S.REOPENED, S.IN_PROGRESS),
    (S.REOPENED, S.ESCALATED),
    (S.REOPENED, S.CLOSED),
    (S.IN_PROGRESS, S.AWAITING_PATIENT),
    (S.IN_PROGRESS, S.RESOLVED),
    (S.IN_PROGRESS, S.ESCALATED),
    (S.IN_PROGRESS, S.CLOSED),
    (S.AWAITING_PATIENT, S.IN_PROGRESS),
    (S.AWAITING_PATIENT, S.RESOLVED),
    (S.AWAITING_PATIENT, S.ESCALATED),
    (S.AWAITING_PATIENT, S.CLOSED),
    (S.ESCALATED, S.TRIAGED),
    (S.ESCALATED, S.IN_PROGRESS),
    (S.ESCALATED, S.AWAITING_PATIENT),
    (S.ESCALATED, S.RESOLVED),
    (S.ESCALATED, S.ESCALATED),
    (S.ESCALATED, S.CLOSED),
    (S.RESOLVED, S.CLOSED),
    (S.RESOLVED, S.REOPENED),
    (S.CLOSED, S.REOPENED),
}


@pytest.mark.parametrize(("previous", "current"), list(product(S, S)))
def test_every_pair_of_states_follows_the_table(previous: S, current: S) -> None:
    assert can_move(previous, current) is ((previous, current) in ALLOWED)


def test_a_closed_ticket_can_only_be_reopened() -> None:
    assert {current for current in S if can_move(S.CLOSED, current)} == {S.REOPENED}


@pytest.mark.parametrize(
    ("previous", "current"),
    [
        (S.IN_PROGRESS, S.ESCALATED),
        (S.RESOLVED, S.REOPENED),
        (S.CLOSED, S.REOPENED),
        (S.NEW, S.CLOSED),
    ],
)
def test_moves_that_change_ownership_or_undo_need_a_reason(previous: S, current: S) -> None:
    with pytest.raises(InvalidTransition, match="reason"):
        check_transition(previous, current, "  ")
    check_transition(previous, current, "the patient called again")


def test_resolved_to_closed_needs_no_reason() -> None:
    check_transition(S.RESOLVED, S.CLOSED, "")


def test_a_forbidden_move_is_refused_even_with_a_reason() -> None:
    with pytest.raises(InvalidTransition, match="cannot move"):
        check_transition(S.NEW, S.AWAITING_PATIENT, "need details")
