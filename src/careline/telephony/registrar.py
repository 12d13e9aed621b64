"""Extensions (agents' and doctors' softphones) and where they are registered (RFC 3261 §10).

The directory of extensions is a port that hands out digest HA1 values
(H(extension:realm:password), RFC 8760), never clear passwords: an in-memory one for tests
and demos, and the staff context's database-backed one for ``careline serve``. The
registrar keeps one binding per extension and contact; a binding lapses at its expiry time
(the caller passes ``now``), so a phone that vanishes stops receiving calls without anyone
telling us.

With several voice workers a REGISTER reaches only the worker its Call-ID hashes to, so
each registrar reports its changes (``on_change``, a ``BindingChange``) and applies the
others' (``apply``); the SIP front passes them between workers and keeps the current
ones in a registrar of its own (``current``) for a worker that starts later. A change
carries the seconds left, not a time, so no clock is shared.
"""

from __future__ import annotations

import abc
import json
from collections.abc import Callable
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
    stream: bool = False  # registered over TCP: reach it on that connection

    def remaining(self, now: float) -> int:
        return max(0, round(self.expires_at - now))


@dataclass(frozen=True)
class BindingChange:
    """One change to the bindings: set (``remaining`` > 0) or remove a contact, or clear all.

    ``contact`` None means every contact of the extension (Contact: *).
    """

    extension: str
    contact: str | None
    source: Address | None = None
    remaining: float = 0.0
    stream: bool = False

    def encode(self) -> bytes:
        """Return the change as JSON bytes."""
        source = list(self.source) if self.source is not None else None
        fields = [self.extension, self.contact, source, round(self.remaining, 3), self.stream]
        return json.dumps(fields, separators=(",", ":")).encode()

    @classmethod
    def decode(cls, data: bytes) -> BindingChange | None:
        """Return the change encoded in ``data``, or None when it is not one."""
        try:
            extension, contact, source, remaining, stream = json.loads(data)
        except (ValueError, TypeError):
            return None
        if not isinstance(extension, str) or not isinstance(remaining, int | float):
            return None
        if not isinstance(stream, bool):
            return None
        if contact is not None and not isinstance(contact, str):
            return None
        address: Address | None = None
        if source is not None:
            if not (isinstance(source, list) and len(source) == 2):
                return None
            host, port = source
            if not isinstance(host, str) or not isinstance(port, int):
                return None
            address = (host, port)
        if contact is not None and remaining > 0 and address is None:
            return None
        return cls(extension, contact, address, float(remaining), stream)


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
        # Told of every change made here (a REGISTER), not of those applied from elsewhere.
        self.on_change: Callable[[BindingChange], None] | None = None

    def register(
        self,
        extension: str,
        contact: str,
        source: Address,
        expires: int | None,
        now: float,
        *,
        stream: bool = False,
    ) -> Binding | None:
        """Add, refresh or (expires=0) remove a binding; raise IntervalTooBrief."""
        wanted = self.default_expires if expires is None else expires
        if wanted == 0:
            self._change(BindingChange(extension, contact), now)
            return None
        if wanted < self.min_expires:
            raise IntervalTooBrief(str(self.min_expires))
        seconds = min(wanted, self.max_expires)
        self._change(BindingChange(extension, contact, source, seconds, stream), now)
        return self._bindings[extension][contact]

    def remove_all(self, extension: str) -> None:
        """Drop every binding of an extension (Contact: *)."""
        self._change(BindingChange(extension, None), 0.0)

    def apply(self, change: BindingChange, now: float) -> None:
        """Apply a change made by another worker's registrar (not reported again)."""
        if change.contact is None:
            self._bindings.pop(change.extension, None)
        elif change.remaining <= 0 or change.source is None:
            self._bindings.get(change.extension, {}).pop(change.contact, None)
        else:
            binding = Binding(
                change.extension,
                change.contact,
                change.source,
                now + change.remaining,
                change.stream,
            )
            self._bindings.setdefault(change.extension, {})[change.contact] = binding

    def registered(self, now: float) -> int:
        """Return how many extensions have at least one live binding."""
        self.expire(now)
        return sum(1 for contacts in self._bindings.values() if contacts)

    def current(self, now: float) -> list[BindingChange]:
        """Return every live binding as the change that would set it, with its time left."""
        self.expire(now)
        return [
            BindingChange(b.extension, b.contact, b.source, b.expires_at - now, b.stream)
            for contacts in self._bindings.values()
            for b in contacts.values()
        ]

    def _change(self, change: BindingChange, now: float) -> None:
        self.apply(change, now)
        if self.on_change is not None:
            self.on_change(change)

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
    "BindingChange",
    "ExtensionDirectory",
    "InMemoryExtensionDirectory",
    "IntervalTooBrief",
    "Registrar",
]
