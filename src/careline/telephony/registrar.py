"""Extensions (agents' and doctors' softphones) and where they are registered (RFC 3261 §10).

The directory of extensions is a port that hands out digest HA1 values
(H(extension:realm:password), RFC 8760), never clear passwords: an in-memory one for tests
and demos, and the staff context's database-backed one for ``careline serve``. The
registrar keeps one binding per extension and contact; a binding lapses at its expiry time
(the caller passes ``now``), so a phone that vanishes stops receiving calls without anyone
telling us.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass

from careline.telephony.sip.digest import digest_ha1
from careline.telephony.sip.transaction import Address


class ExtensionDirectory(abc.ABC):
    """Port: the extensions allowed to register and their digest secrets."""

    @abc.abstractmethod
    async def ha1_for(self, extension: str, realm: str, algorithm: str) -> str | None:
        """Return H(extension:realm:password) for ``algorithm``, or None when unknown."""


class InMemoryExtensionDirectory(ExtensionDirectory):
    """Extensions held in a dict (tests, demo, small sites)."""

    def __init__(self, passwords: dict[str, str] | None = None) -> None:
        self._passwords = dict(passwords or {})

    async def ha1_for(self, extension: str, realm: str, algorithm: str) -> str | None:
        password = self._passwords.get(extension)
        if password is None:
            return None
        return digest_ha1(algorithm, extension, realm, password)

    def set_password(self, extension: str, password: str) -> None:
        """Create or change an extension."""
        self._passwords[extension] = password


@dataclass(frozen=True)
class Binding:
    """Where an extension can be reached until ``expires_at`` (monotonic seconds)."""

    extension: str
    contact: str
    source: Address
    expires_at: float

    def remaining(self, now: float) -> int:
        return max(0, round(self.expires_at - now))


class IntervalTooBrief(ValueError):
    """The phone asked for a shorter registration than we accept (answer 423)."""


class Registrar:
    """Bindings of extensions to contacts, with expiry."""

    def __init__(
        self, *, min_expires: int = 30, max_expires: int = 3600, default_expires: int = 3600
    ) -> None:
        self.min_expires = min_expires
        self.max_expires = max_expires
        self.default_expires = default_expires
        self._bindings: dict[str, dict[str, Binding]] = {}

    def register(
        self, extension: str, contact: str, source: Address, expires: int | None, now: float
    ) -> Binding | None:
        """Add, refresh or (expires=0) remove a binding; raise IntervalTooBrief."""
        wanted = self.default_expires if expires is None else expires
        contacts = self._bindings.setdefault(extension, {})
        if wanted == 0:
            contacts.pop(contact, None)
            return None
        if wanted < self.min_expires:
            raise IntervalTooBrief(str(self.min_expires))
        binding = Binding(extension, contact, source, now + min(wanted, self.max_expires))
        contacts[contact] = binding
        return binding

    def remove_all(self, extension: str) -> None:
        """Drop every binding of an extension (Contact: *)."""
        self._bindings.pop(extension, None)

    def bindings(self, extension: str, now: float) -> list[Binding]:
        """Return the live bindings of an extension, newest expiry first."""
        live = [b for b in self._bindings.get(extension, {}).values() if b.expires_at > now]
        return sorted(live, key=lambda b: b.expires_at, reverse=True)

    def lookup(self, extension: str, now: float) -> Binding | None:
        """Return the binding to ring, or None when the extension is not registered."""
        live = self.bindings(extension, now)
        return live[0] if live else None

    def expire(self, now: float) -> int:
        """Forget lapsed bindings; return how many went."""
        gone = 0
        for extension in list(self._bindings):
            contacts = self._bindings[extension]
            for contact in [c for c, b in contacts.items() if b.expires_at <= now]:
                del contacts[contact]
                gone += 1
            if not contacts:
                del self._bindings[extension]
        return gone


__all__ = [
    "Binding",
    "ExtensionDirectory",
    "InMemoryExtensionDirectory",
    "IntervalTooBrief",
    "Registrar",
]
