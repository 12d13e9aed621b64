"""Staff use cases: accounts, sign-in with lock-out, sessions."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

import structlog
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from careline.db.uow import UnitOfWork
from careline.kit.clock import Clock
from careline.kit.errors import NotFound
from careline.staff.model import (
    AccountLocked,
    InvalidCredentials,
    InvalidStaffInput,
    Role,
    StaffMember,
    UsernameTaken,
    after_failure,
    is_locked,
    validate_password,
    validate_username,
)
from careline.staff.repository import SessionRepository, StaffRepository

log = structlog.get_logger(__name__)
_hasher = PasswordHasher()
# Verified when the username is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("careline-timing-equaliser")


@dataclass(frozen=True, slots=True)
class SignedIn:
    token: str
    csrf_token: str
    staff: StaffMember


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def generate_password() -> str:
    """Return a random password good enough to print once for a new account."""
    return secrets.token_urlsafe(12)


async def create_staff(
    uow: UnitOfWork,
    *,
    username: str,
    display_name: str,
    roles: frozenset[Role],
    password: str,
    clock: Clock,
    doctor_id: int | None = None,
    department_id: int | None = None,
    language: str = "zh-CN",
) -> StaffMember:
    """Create a staff account with an argon2 password hash."""
    username = validate_username(username)
    validate_password(password)
    display_name = display_name.strip()
    if not display_name or len(display_name) > 64:
        raise InvalidStaffInput("A display name needs 1 to 64 characters.", field="display_name")
    if not roles:
        raise InvalidStaffInput("Choose at least one role.", field="roles")
    repo = StaffRepository(uow.connection)
    if await repo.exists(username):
        raise UsernameTaken("That username is already in use.", field="username")
    staff_id = await repo.add(
        username=username,
        display_name=display_name,
        roles=roles,
        password_hash=_hasher.hash(password),
        now=clock.now(),
        doctor_id=doctor_id,
        department_id=department_id,
        language=language,
    )
    await uow.commit()
    log.info("staff_created", staff_id=staff_id, roles=sorted(roles))
    member = await repo.get(staff_id)
    assert member is not None
    return member


async def sign_in(
    uow: UnitOfWork,
    *,
    username: str,
    password: str,
    clock: Clock,
    max_attempts: int,
    lock_minutes: int,
    session_hours: int,
) -> SignedIn:
    """Check a password and open a session; lock the account after repeated failures."""
    repo = StaffRepository(uow.connection)
    now = clock.now()
    credentials = await repo.credentials(username.strip().lower())
    if credentials is None:
        _verify(_DUMMY_HASH, password)
        raise InvalidCredentials("Wrong username or password.")
    if is_locked(credentials, now):
        raise AccountLocked("This account is locked after too many failed sign-ins; try later.")
    if not _verify(credentials.password_hash, password):
        attempts, locked_until = after_failure(
            credentials, now, max_attempts=max_attempts, lock_minutes=lock_minutes
        )
        await repo.record_failure(
            credentials.staff_id, attempts=attempts, locked_until=locked_until
        )
        await uow.commit()
        log.info("staff_sign_in_failed", staff_id=credentials.staff_id, locked=bool(locked_until))
        if locked_until is not None:
            raise AccountLocked("This account is locked after too many failed sign-ins; try later.")
        raise InvalidCredentials("Wrong username or password.")
    await repo.record_sign_in(credentials.staff_id, now)
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    await SessionRepository(uow.connection).add(
        token_hash=_token_hash(token),
        staff_id=credentials.staff_id,
        csrf_token=csrf,
        now=now,
        expires=now + timedelta(hours=session_hours),
    )
    await uow.commit()
    staff = await repo.get(credentials.staff_id)
    assert staff is not None
    log.info("staff_signed_in", staff_id=staff.id)
    return SignedIn(token=token, csrf_token=csrf, staff=staff)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def session_staff(
    uow: UnitOfWork, *, token: str, clock: Clock
) -> tuple[StaffMember, str] | None:
    """Return the staff member and CSRF token of a live session, or None."""
    return await SessionRepository(uow.connection).find(_token_hash(token), clock.now())


async def sign_out(uow: UnitOfWork, *, token: str) -> None:
    """End a session."""
    await SessionRepository(uow.connection).delete(_token_hash(token))
    await uow.commit()


async def list_staff(uow: UnitOfWork) -> list[StaffMember]:
    """Return every staff account."""
    return await StaffRepository(uow.connection).list()


async def get_staff(uow: UnitOfWork, *, staff_id: int) -> StaffMember:
    """Return one staff account."""
    member = await StaffRepository(uow.connection).get(staff_id)
    if member is None:
        raise NotFound("No such staff account.")
    return member


async def update_staff(
    uow: UnitOfWork,
    *,
    staff_id: int,
    display_name: str | None = None,
    roles: frozenset[Role] | None = None,
    active: bool | None = None,
) -> StaffMember:
    """Change an account's name, roles or active flag; deactivation ends its sessions."""
    await get_staff(uow, staff_id=staff_id)
    values: dict[str, object] = {}
    if display_name is not None:
        if not display_name.strip() or len(display_name) > 64:
            raise InvalidStaffInput(
                "A display name needs 1 to 64 characters.", field="display_name"
            )
        values["display_name"] = display_name.strip()
    if roles is not None:
        if not roles:
            raise InvalidStaffInput("Choose at least one role.", field="roles")
        values["roles"] = roles
    if active is not None:
        values["active"] = active
    repo = StaffRepository(uow.connection)
    if values:
        await repo.update(staff_id, **values)
    if active is False:
        await SessionRepository(uow.connection).delete_for(staff_id)
    await uow.commit()
    return await get_staff(uow, staff_id=staff_id)


async def reset_password(uow: UnitOfWork, *, staff_id: int, password: str) -> None:
    """Set a new password, unlock the account and end its sessions."""
    validate_password(password)
    await get_staff(uow, staff_id=staff_id)
    await StaffRepository(uow.connection).update(
        staff_id, password_hash=_hasher.hash(password), failed_attempts=0, locked_until=None
    )
    await SessionRepository(uow.connection).delete_for(staff_id)
    await uow.commit()
