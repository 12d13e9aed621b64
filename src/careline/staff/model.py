"""Staff members, their roles and the sign-in rules (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from careline.kit.errors import CarelineError

USERNAME = re.compile(r"^[a-z][a-z0-9_.-]{2,31}$")
MIN_PASSWORD_LENGTH = 10


class Role(StrEnum):
    AGENT = "agent"
    DOCTOR = "doctor"
    COMPLAINT_HANDLER = "complaint_handler"
    DEPARTMENT_HEAD = "department_head"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class StaffError(CarelineError):
    error_id = "staff_error"


class InvalidCredentials(StaffError):
    status_code = 401
    error_id = "invalid_credentials"


class AccountLocked(StaffError):
    status_code = 423
    error_id = "account_locked"


class InvalidStaffInput(StaffError):
    status_code = 422
    error_id = "invalid_staff_input"


class UsernameTaken(StaffError):
    status_code = 409
    error_id = "username_taken"


@dataclass(frozen=True, slots=True)
class StaffMember:
    id: int
    username: str
    display_name: str
    roles: frozenset[Role]
    active: bool = True
    doctor_id: int | None = None
    department_id: int | None = None
    language: str = "zh-CN"

    def has_any(self, *roles: Role) -> bool:
        return not roles or bool(self.roles.intersection(roles)) or Role.ADMIN in self.roles


@dataclass(frozen=True, slots=True)
class Credentials:
    staff_id: int
    password_hash: str
    failed_attempts: int
    locked_until: datetime | None


def validate_username(username: str) -> str:
    """Return the username in canonical form or raise InvalidStaffInput."""
    canonical = username.strip().lower()
    if not USERNAME.match(canonical):
        raise InvalidStaffInput(
            "A username is 3 to 32 letters, digits, dots, dashes or underscores,"
            " starting with a letter.",
            field="username",
        )
    return canonical


def validate_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidStaffInput("A password needs at least 10 characters.", field="password")
    if len(password) > 256:
        raise InvalidStaffInput("A password may have at most 256 characters.", field="password")


def is_locked(credentials: Credentials, now: datetime) -> bool:
    return credentials.locked_until is not None and credentials.locked_until > now


def after_failure(
    credentials: Credentials, now: datetime, *, max_attempts: int, lock_minutes: int
) -> tuple[int, datetime | None]:
    """Return the failure count and lock time after one more wrong password."""
    attempts = credentials.failed_attempts + 1
    if attempts >= max_attempts:
        return 0, now + timedelta(minutes=lock_minutes)
    return attempts, None
