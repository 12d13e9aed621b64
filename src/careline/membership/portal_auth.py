"""Patient portal sign-in: card number + PIN, or phone + a one-time code sent by SMS.

Codes are six digits, stored as a SHA-256 of phone and code, valid for five minutes, at
most five tries each; a phone may ask for one code a minute and five an hour. Sessions are
random tokens stored hashed, separate from staff sessions, valid for eight hours.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher

from careline.channels import service as channels
from careline.db.uow import UnitOfWork
from careline.kit.clock import Clock
from careline.kit.errors import NotSignedIn
from careline.kit.phones import InvalidPhoneNumber, normalize_phone
from careline.membership import service
from careline.membership.model import CardStatus, MembershipError
from careline.membership.repository import MembershipRepository, PortalRepository
from careline.patients.repository import PatientRepository

CODE_LIFETIME = timedelta(minutes=5)
CODE_TRIES = 5
CODES_PER_MINUTE = 1
CODES_PER_HOUR = 5
SESSION_LIFETIME = timedelta(hours=8)


class CodeRefused(MembershipError):
    status_code = 401
    error_id = "sign_in_code_refused"


class TooManyCodes(MembershipError):
    status_code = 429
    error_id = "too_many_sign_in_codes"


@dataclass(frozen=True, slots=True)
class PortalUser:
    patient_id: int
    card_id: int | None


def _hash(*parts: str) -> str:
    return hashlib.sha256(":".join(parts).encode()).hexdigest()


def _phone(text: str) -> str:
    try:
        return normalize_phone(text)
    except InvalidPhoneNumber:
        raise CodeRefused("The phone number is not valid.", field="phone") from None


async def _open_session(uow: UnitOfWork, user: PortalUser, clock: Clock) -> str:
    token = secrets.token_urlsafe(32)
    now = clock.now()
    await PortalRepository(uow.connection).add_session(
        _hash(token), user.patient_id, user.card_id, now, now + SESSION_LIFETIME
    )
    await uow.commit()
    return token


async def sign_in_with_card(
    uow: UnitOfWork,
    *,
    card_number: str,
    pin: str,
    clock: Clock,
    hasher: PasswordHasher = service.pin_hasher,
) -> str:
    """Check card and PIN; return a new portal session token."""
    card = await service.verify_pin(
        uow, card_number=card_number, pin=pin, clock=clock, hasher=hasher
    )
    return await _open_session(uow, PortalUser(card.patient_id, card.id), clock)


async def send_sign_in_code(uow: UnitOfWork, *, phone: str, clock: Clock) -> None:
    """Text a one-time code to a member's phone (silently nothing for unknown numbers)."""
    number = _phone(phone)
    repo = PortalRepository(uow.connection)
    now = clock.now()
    if await repo.codes_since(number, now - timedelta(minutes=1)) >= CODES_PER_MINUTE or (
        await repo.codes_since(number, now - timedelta(hours=1)) >= CODES_PER_HOUR
    ):
        raise TooManyCodes("Too many codes were asked for; please wait a minute.")
    if await _member_of(uow, number) is None:
        return  # say nothing: the page must not reveal who is a member
    code = f"{secrets.randbelow(10**6):06d}"
    await repo.add_code(number, _hash(number, code), now, now + CODE_LIFETIME)
    text = f"【Careline】您的登录验证码是{code}，5分钟内有效。Your sign-in code is {code}."
    await channels.queue_sms(uow, to=number, text=text, clock=clock)


async def _member_of(uow: UnitOfWork, number: str) -> PortalUser | None:
    cards = MembershipRepository(uow.connection)
    for patient in await PatientRepository(uow.connection).find_by_phone(number):
        for card in await cards.of_patient(patient.id):
            if card.status is CardStatus.ACTIVE:
                return PortalUser(patient.id, card.id)
    return None


async def sign_in_with_code(uow: UnitOfWork, *, phone: str, code: str, clock: Clock) -> str:
    """Check the latest code sent to the phone; return a new portal session token."""
    number = _phone(phone)
    repo = PortalRepository(uow.connection)
    found = await repo.latest_code(number, clock.now())
    refused = CodeRefused("The code is wrong or has expired.", field="code")
    if found is None:
        raise refused
    code_id, code_hash, attempts = found
    if attempts >= CODE_TRIES:
        raise refused
    if not hmac.compare_digest(code_hash, _hash(number, code.strip())):
        await repo.update_code(code_id, attempts=attempts + 1)
        await uow.commit()
        raise refused
    await repo.update_code(code_id, used=True)
    user = await _member_of(uow, number)
    if user is None:
        raise refused
    return await _open_session(uow, user, clock)


async def portal_user(uow: UnitOfWork, *, token: str, clock: Clock) -> PortalUser:
    """Return who a portal token belongs to, or raise NotSignedIn."""
    found = await PortalRepository(uow.connection).session(_hash(token), clock.now())
    if found is None:
        raise NotSignedIn("Please sign in first.")
    return PortalUser(*found)


async def sign_out(uow: UnitOfWork, *, token: str) -> None:
    """End a portal session."""
    await PortalRepository(uow.connection).delete_session(_hash(token))
    await uow.commit()
