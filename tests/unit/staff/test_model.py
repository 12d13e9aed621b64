from datetime import UTC, datetime, timedelta

import pytest

from careline.staff.model import (
    Credentials,
    InvalidStaffInput,
    Role,
    StaffMember,
    after_failure,
    is_locked,
    validate_password,
    validate_username,
)

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def test_username_is_canonicalised_to_lower_case() -> None:
    assert validate_username("  Zhang.Wei ") == "zhang.wei"


@pytest.mark.parametrize("bad", ["ab", "1abc", "a b c", "x" * 33, "张伟", "a;drop"])
def test_bad_usernames_are_refused(bad: str) -> None:
    with pytest.raises(InvalidStaffInput) as info:
        validate_username(bad)
    assert info.value.field == "username"


def test_short_password_is_refused() -> None:
    with pytest.raises(InvalidStaffInput):
        validate_password("short")
    validate_password("long-enough-pw")


def test_fifth_failure_locks_the_account() -> None:
    creds = Credentials(staff_id=1, password_hash="x", failed_attempts=3, locked_until=None)
    assert after_failure(creds, NOW, max_attempts=5, lock_minutes=15) == (4, None)
    creds = Credentials(staff_id=1, password_hash="x", failed_attempts=4, locked_until=None)
    attempts, until = after_failure(creds, NOW, max_attempts=5, lock_minutes=15)
    assert attempts == 0
    assert until == NOW + timedelta(minutes=15)
    locked = Credentials(1, "x", 0, until)
    assert is_locked(locked, NOW + timedelta(minutes=14))
    assert not is_locked(locked, NOW + timedelta(minutes=15))


def test_admin_holds_every_role() -> None:
    admin = StaffMember(1, "root", "Root", frozenset({Role.ADMIN}))
    agent = StaffMember(2, "agent", "Agent", frozenset({Role.AGENT}))
    assert admin.has_any(Role.SUPERVISOR)
    assert agent.has_any(Role.AGENT, Role.SUPERVISOR)
    assert not agent.has_any(Role.SUPERVISOR)
