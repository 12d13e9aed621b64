"""HTTP digest authentication for SIP (RFC 2617, RFC 7616, RFC 8760; RFC 3261 §22).

Server side (ours): challenges carry a stateless nonce = timestamp + HMAC(secret, timestamp),
so a restart or a second worker never needs shared nonce state; a nonce older than
``nonce_lifetime`` is answered with ``stale=true`` and the phone retries without asking the
user. Only ``qop=auth`` and the plain (non ``-sess``) algorithms MD5 and SHA-256 are
offered. Client side: aiosipua computes the response; we only quote it correctly.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from aiosipua import SipDigestAuth, build_credentials, parse_auth

ALGORITHMS = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}
_UNQUOTED = ("algorithm", "qop", "nc", "stale")
NONCE_STEP = 10.0


class AuthOutcome(StrEnum):
    OK = "ok"
    MISSING = "missing"
    STALE = "stale"
    FAILED = "failed"


@dataclass(frozen=True)
class AuthResult:
    """The verdict on an Authorization header and the user it names."""

    outcome: AuthOutcome
    username: str = ""


def _hash(algorithm: str, text: str) -> str:
    return ALGORITHMS[algorithm](text.encode("utf-8")).hexdigest()


def digest_ha1(algorithm: str, username: str, realm: str, password: str) -> str:
    """Return HA1 = H(username:realm:password) (RFC 8760 §3), the secret a server may store."""
    return _hash(algorithm, f"{username}:{realm}:{password}")


def requested_by(header: str | None) -> tuple[str, str]:
    """Return the (username, algorithm) an Authorization header names; empty when absent."""
    if not header:
        return "", ""
    try:
        params = parse_auth(header, credentials=True).params
    except Exception:  # noqa: BLE001 - a garbled header simply names nobody
        return "", ""
    return params.get("username", ""), params.get("algorithm", "MD5").upper()


def _quote(params: dict[str, str]) -> str:
    return ", ".join(
        f"{key}={value}" if key in _UNQUOTED else f'{key}="{value}"'
        for key, value in params.items()
    )


class DigestServer:
    """Issue challenges and check credentials for one realm."""

    def __init__(
        self,
        realm: str,
        *,
        secret: bytes | None = None,
        nonce_lifetime: float = 300.0,
        algorithms: tuple[str, ...] = ("SHA-256", "MD5"),
    ) -> None:
        self.realm = realm
        self._secret = secret or secrets.token_bytes(32)
        self._lifetime = nonce_lifetime
        self._algorithms = algorithms

    def _nonce(self, now: float) -> str:
        # One nonce per 10 s window: a phone that retries with a wrong password sees the same
        # nonce again and gives up (libre treats a repeated nonce as a final failure) instead
        # of hammering us with a fresh attempt per fresh nonce.
        stamp = f"{int(now // NONCE_STEP * NONCE_STEP * 1000):x}"
        mac = hmac.new(self._secret, stamp.encode(), hashlib.sha256).hexdigest()[:24]
        return f"{stamp}.{mac}"

    def _nonce_age(self, nonce: str, now: float) -> float | None:
        stamp, _, mac = nonce.partition(".")
        expected = hmac.new(self._secret, stamp.encode(), hashlib.sha256).hexdigest()[:24]
        if not hmac.compare_digest(mac, expected):
            return None
        try:
            return now - int(stamp, 16) / 1000
        except ValueError:
            return None

    def challenges(self, now: float, *, stale: bool = False) -> list[str]:
        """Return one WWW-Authenticate value per algorithm, strongest first (RFC 8760 §2.4)."""
        nonce = self._nonce(now)
        values = []
        for algorithm in self._algorithms:
            params = {"realm": self.realm, "nonce": nonce, "algorithm": algorithm, "qop": "auth"}
            if stale:
                params["stale"] = "true"
            values.append("Digest " + _quote(params).replace("qop=auth", 'qop="auth"'))
        return values

    def verify(
        self, header: str | None, method: str, password_for: dict[str, str], now: float
    ) -> AuthResult:
        """Check an Authorization header against known clear passwords (trunk tests, demo)."""

        def ha1(username: str, algorithm: str) -> str | None:
            password = password_for.get(username)
            if password is None:
                return None
            return digest_ha1(algorithm, username, self.realm, password)

        return self.verify_ha1(header, method, ha1, now)

    def verify_ha1(
        self,
        header: str | None,
        method: str,
        ha1_for: Callable[[str, str], str | None],
        now: float,
    ) -> AuthResult:
        """Check an Authorization header; ``ha1_for(username, algorithm)`` gives stored HA1."""
        if not header:
            return AuthResult(AuthOutcome.MISSING)
        credentials = parse_auth(header, credentials=True)
        params = credentials.params
        username = params.get("username", "")
        algorithm = params.get("algorithm", "MD5").upper()
        if credentials.scheme.lower() != "digest" or algorithm not in self._algorithms:
            return AuthResult(AuthOutcome.FAILED, username)
        ha1 = ha1_for(username, algorithm) if params.get("realm") == self.realm else None
        if ha1 is None:
            return AuthResult(AuthOutcome.FAILED, username)
        age = self._nonce_age(params.get("nonce", ""), now)
        if age is None or age < -5:
            return AuthResult(AuthOutcome.FAILED, username)
        expected = self._expected(params, algorithm, method, ha1.lower())
        if not hmac.compare_digest(expected, params.get("response", "").lower()):
            return AuthResult(AuthOutcome.FAILED, username)
        if age > self._lifetime:
            return AuthResult(AuthOutcome.STALE, username)
        return AuthResult(AuthOutcome.OK, username)

    def _expected(self, params: dict[str, str], algorithm: str, method: str, ha1: str) -> str:
        ha2 = _hash(algorithm, f"{method}:{params.get('uri', '')}")
        nonce = params.get("nonce", "")
        if params.get("qop", "").lower() == "auth":
            return _hash(
                algorithm,
                f"{ha1}:{nonce}:{params.get('nc', '')}:{params.get('cnonce', '')}:auth:{ha2}",
            )
        return _hash(algorithm, f"{ha1}:{nonce}:{ha2}")


def answer_challenges(
    challenges: list[str],
    username: str,
    password: str,
    method: str,
    uri: str,
    *,
    nonce_count: int = 1,
) -> str | None:
    """Answer the strongest challenge we can (SHA-256 before MD5); None if none fits."""
    parsed = [parse_auth(value) for value in challenges]
    parsed.sort(key=lambda c: c.params.get("algorithm", "MD5").upper() != "SHA-256")
    auth = SipDigestAuth(username=username, password=password)
    for challenge in parsed:
        credentials = build_credentials(auth, challenge, method, uri, nonce_count=nonce_count)
        if credentials is not None:
            return "Digest " + _quote(credentials.params)
    return None


__all__ = [
    "ALGORITHMS",
    "AuthOutcome",
    "AuthResult",
    "DigestServer",
    "answer_challenges",
    "digest_ha1",
    "requested_by",
]
