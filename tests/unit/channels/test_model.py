"""Message states, retry schedule, token bucket and ticket tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest

from careline.channels.model import (
    MessageState,
    RetryPolicy,
    TokenBucket,
    can_move,
    find_ticket_token,
    tag_subject,
)


@pytest.mark.parametrize(
    ("previous", "current", "allowed"),
    [
        (MessageState.QUEUED, MessageState.SENT, True),
        (MessageState.SENT, MessageState.DELIVERED, True),
        (MessageState.SENT, MessageState.FAILED, True),
        (MessageState.QUEUED, MessageState.DELIVERED, True),
        (MessageState.DELIVERED, MessageState.FAILED, False),
        (MessageState.FAILED, MessageState.SENT, False),
        (MessageState.DELIVERED, MessageState.QUEUED, False),
    ],
)
def test_state_table(previous: MessageState, current: MessageState, allowed: bool) -> None:
    assert can_move(previous, current) is allowed


def test_backoff_doubles_and_is_capped() -> None:
    policy = RetryPolicy(max_attempts=5, first_delay_seconds=10, max_delay_seconds=35)
    assert [policy.delay_after(n) for n in (1, 2, 3, 4)] == [
        timedelta(seconds=10),
        timedelta(seconds=20),
        timedelta(seconds=35),
        timedelta(seconds=35),
    ]
    assert not policy.gives_up_after(4)
    assert policy.gives_up_after(5)


def test_token_bucket_allows_a_burst_then_the_rate() -> None:
    bucket = TokenBucket(rate=2.0, capacity=3)
    assert [bucket.try_take(100.0) for _ in range(4)] == [True, True, True, False]
    assert bucket.wait_time(100.0) == pytest.approx(0.5)
    assert bucket.try_take(100.5)
    assert not bucket.try_take(100.5)
    assert bucket.try_take(110.0, count=3)


def test_token_bucket_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="positive rate"):
        TokenBucket(rate=0, capacity=1)


def test_ticket_token_is_found_in_a_reply_subject() -> None:
    assert find_ticket_token("Re: 关于挂号的投诉 [#202611250042]") == "202611250042"
    assert find_ticket_token("回复：［＃202611250042］") == "202611250042"
    assert find_ticket_token("No token [#1234]") is None
    assert find_ticket_token("[#2026112500421]") is None


def test_tagging_a_subject_is_idempotent() -> None:
    once = tag_subject("Your complaint", "202611250042")
    assert once == "Your complaint [#202611250042]"
    assert tag_subject(once, "202611250042") == once
