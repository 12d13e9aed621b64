"""Retry delays, token digests and the FHIR mapping of ids and statuses."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from careline.integrations.fhir.resources import APPOINTMENT_STATUS, parse_slot_id, slot_id
from careline.integrations.model import RetryPolicy, token_digest
from careline.scheduling.model import BookingStatus

NOW = datetime(2026, 11, 25, tzinfo=UTC)


def test_retries_double_up_to_the_ceiling_then_give_up() -> None:
    policy = RetryPolicy(first_delay_seconds=30, max_delay_seconds=100, max_attempts=4)
    delays = [policy.next_attempt(n, NOW) for n in (1, 2, 3, 4)]
    assert delays[:3] == [NOW + timedelta(seconds=s) for s in (30, 60, 100)]
    assert delays[3] is None


def test_tokens_are_stored_as_sha256() -> None:
    assert token_digest("abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


def test_slot_ids_round_trip() -> None:
    text = slot_id(7, date(2026, 11, 26), "morning", 3)
    assert text == "7-20261126-morning-3"
    assert parse_slot_id(text) == (7, date(2026, 11, 26), "morning", 3)


def test_every_booking_status_has_an_appointment_status() -> None:
    assert set(APPOINTMENT_STATUS) == set(BookingStatus)
    assert APPOINTMENT_STATUS[BookingStatus.NO_SHOW] == "noshow"
