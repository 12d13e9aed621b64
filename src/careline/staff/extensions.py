"""SIP extensions of staff softphones: number, digest secrets, and a cached lookup.

The SIP password is never stored. We keep HA1 = H(extension:realm:password) for MD5 and
SHA-256 (RFC 8760 §3), which is all a digest server needs; a leaked row still lets someone
register as that extension in that realm, so resetting the password is the remedy, but the
clear password (often reused elsewhere) is not exposed.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import structlog

from careline.db.uow import UnitOfWork
from careline.kit.clock import Clock
from careline.kit.errors import NotFound
from careline.staff.model import InvalidStaffInput, StaffError
from careline.staff.repository import ExtensionRepository, StaffRepository

log = structlog.get_logger(__name__)

EXTENSION = re.compile(r"^[1-9][0-9]{1,7}$")
MIN_SIP_PASSWORD_LENGTH = 10
DEFAULT_REALM = "careline"
_HASHES: dict[str, Callable[[bytes], hashlib._Hash]] = {
    "MD5": hashlib.md5,
    "SHA-256": hashlib.sha256,
}


class ExtensionTaken(StaffError):
    status_code = 409
    error_id = "extension_taken"


@dataclass(frozen=True, slots=True)
class SipExtension:
    """A staff member's softphone extension and its digest secrets for one realm."""

    staff_id: int
    extension: str
    realm: str
    ha1_md5: str
    ha1_sha256: str
    updated_at: datetime

    def ha1(self, algorithm: str) -> str | None:
        """Return the stored HA1 for a digest algorithm name, None for others."""
        return {"MD5": self.ha1_md5, "SHA-256": self.ha1_sha256}.get(algorithm.upper())


def digest_ha1(algorithm: str, username: str, realm: str, password: str) -> str:
    """Return H(username:realm:password) for MD5 or SHA-256 (RFC 8760 §3)."""
    return _HASHES[algorithm](f"{username}:{realm}:{password}".encode()).hexdigest()


def validate_extension(extension: str) -> str:
    """Return the extension number or raise InvalidStaffInput."""
    number = extension.strip()
    if not EXTENSION.match(number):
        raise InvalidStaffInput(
            "An extension is 2 to 8 digits and does not start with 0.", field="extension"
        )
    return number


def validate_sip_password(password: str) -> None:
    """Refuse SIP passwords a scanner could guess or a phone could not store."""
    if len(password) < MIN_SIP_PASSWORD_LENGTH:
        raise InvalidStaffInput(
            "A SIP password needs at least 10 characters.", field="sip_password"
        )
    if len(password) > 128 or not password.isprintable():
        raise InvalidStaffInput(
            "A SIP password has at most 128 printable characters.", field="sip_password"
        )


async def set_extension(
    uow: UnitOfWork,
    *,
    staff_id: int,
    extension: str,
    password: str,
    clock: Clock,
    realm: str = DEFAULT_REALM,
) -> SipExtension:
    """Give a staff member an extension or change it; the password becomes HA1 values."""
    number = validate_extension(extension)
    validate_sip_password(password)
    if await StaffRepository(uow.connection).get(staff_id) is None:
        raise NotFound("No such staff account.")
    repo = ExtensionRepository(uow.connection)
    holder = await repo.by_extension(number)
    if holder is not None and holder.staff_id != staff_id:
        raise ExtensionTaken("That extension belongs to someone else.", field="extension")
    record = SipExtension(
        staff_id=staff_id,
        extension=number,
        realm=realm,
        ha1_md5=digest_ha1("MD5", number, realm, password),
        ha1_sha256=digest_ha1("SHA-256", number, realm, password),
        updated_at=clock.now(),
    )
    await repo.save(record)
    await uow.commit()
    log.info("extension_set", staff_id=staff_id, extension=number)
    return record


async def get_extension(uow: UnitOfWork, *, staff_id: int) -> SipExtension | None:
    """Return a staff member's extension, or None when they have none."""
    return await ExtensionRepository(uow.connection).for_staff(staff_id)


async def remove_extension(uow: UnitOfWork, *, staff_id: int) -> None:
    """Take a staff member's extension away (the phone can no longer register)."""
    await ExtensionRepository(uow.connection).delete(staff_id)
    await uow.commit()
    log.info("extension_removed", staff_id=staff_id)


async def active_extension(uow: UnitOfWork, *, extension: str) -> SipExtension | None:
    """Return the extension only if its staff account is active."""
    return await ExtensionRepository(uow.connection).active_by_extension(extension)


class ExtensionSecrets:
    """Digest secrets of extensions, read from the database and cached for ``ttl`` seconds.

    A phone re-registers every few minutes and every REGISTER is challenged once, so a short
    cache takes most lookups off the database while a deactivated account or a new password
    still takes effect within ``ttl``. Concurrent lookups of one extension share one query.
    """

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        *,
        ttl: float = 10.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._uow_factory = uow_factory
        self._ttl = ttl
        self._monotonic = monotonic
        self._cache: dict[str, tuple[float, SipExtension | None]] = {}
        self._pending: dict[str, asyncio.Future[SipExtension | None]] = {}

    async def ha1_for(self, extension: str, realm: str, algorithm: str) -> str | None:
        """Return the HA1 of an active extension in ``realm``, or None."""
        record = await self.lookup(extension)
        if record is None or record.realm != realm:
            return None
        return record.ha1(algorithm)

    async def lookup(self, extension: str) -> SipExtension | None:
        """Return the active extension, from the cache when it is fresh."""
        if not EXTENSION.match(extension):
            return None
        now = self._monotonic()
        cached = self._cache.get(extension)
        if cached is not None and cached[0] > now:
            return cached[1]
        pending = self._pending.get(extension)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[SipExtension | None] = asyncio.get_running_loop().create_future()
        self._pending[extension] = future
        try:
            async with self._uow_factory() as uow:
                record = await active_extension(uow, extension=extension)
            self._forget_stale(now)
            self._cache[extension] = (now + self._ttl, record)
            future.set_result(record)
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # waiters re-raise it; nobody else needs to retrieve it
            raise
        finally:
            del self._pending[extension]
        return record

    def _forget_stale(self, now: float) -> None:
        # A scanner trying random numbers must not grow the cache without bound.
        if len(self._cache) > 4096:
            self._cache = {k: v for k, v in self._cache.items() if v[0] > now}


__all__ = [
    "DEFAULT_REALM",
    "ExtensionSecrets",
    "ExtensionTaken",
    "SipExtension",
    "active_extension",
    "digest_ha1",
    "get_extension",
    "remove_extension",
    "set_extension",
    "validate_extension",
    "validate_sip_password",
]
