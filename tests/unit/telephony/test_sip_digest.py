"""Digest authentication, server and client side, MD5 and SHA-256."""

from __future__ import annotations

import hashlib

import pytest

from careline.telephony.sip.digest import (
    AuthOutcome,
    DigestServer,
    answer_challenges,
    digest_ha1,
    requested_by,
)

PASSWORDS = {"2001": "s3cret"}
URI = "sip:127.0.0.1:5060"


def _only(server: DigestServer, algorithm: str, now: float) -> list[str]:
    return [c for c in server.challenges(now) if f"algorithm={algorithm}" in c]


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-256"])
def test_right_password_is_accepted(algorithm: str) -> None:
    server = DigestServer("careline", secret=b"k")
    header = answer_challenges(_only(server, algorithm, 100.0), "2001", "s3cret", "REGISTER", URI)
    assert header is not None
    assert f"algorithm={algorithm}" in header
    result = server.verify(header, "REGISTER", PASSWORDS, 101.0)
    assert result.outcome == AuthOutcome.OK
    assert result.username == "2001"


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-256"])
def test_wrong_password_fails(algorithm: str) -> None:
    server = DigestServer("careline", secret=b"k")
    header = answer_challenges(_only(server, algorithm, 100.0), "2001", "guess", "REGISTER", URI)
    assert server.verify(header, "REGISTER", PASSWORDS, 101.0).outcome == AuthOutcome.FAILED


def test_client_prefers_sha256_when_both_are_offered() -> None:
    server = DigestServer("careline", secret=b"k")
    header = answer_challenges(server.challenges(0.0), "2001", "s3cret", "INVITE", URI)
    assert header is not None
    assert "algorithm=SHA-256" in header


def test_old_nonce_is_stale_not_failed() -> None:
    server = DigestServer("careline", secret=b"k", nonce_lifetime=300)
    header = answer_challenges(server.challenges(0.0), "2001", "s3cret", "REGISTER", URI)
    assert server.verify(header, "REGISTER", PASSWORDS, 301.0).outcome == AuthOutcome.STALE
    assert all("stale=true" in c for c in server.challenges(301.0, stale=True))


def test_nonce_from_another_server_fails() -> None:
    header = answer_challenges(
        DigestServer("careline", secret=b"a").challenges(0.0), "2001", "s3cret", "REGISTER", URI
    )
    other = DigestServer("careline", secret=b"b")
    assert other.verify(header, "REGISTER", PASSWORDS, 1.0).outcome == AuthOutcome.FAILED


def test_response_for_another_method_fails() -> None:
    server = DigestServer("careline", secret=b"k")
    header = answer_challenges(server.challenges(0.0), "2001", "s3cret", "REGISTER", URI)
    assert server.verify(header, "INVITE", PASSWORDS, 1.0).outcome == AuthOutcome.FAILED


def test_missing_header_is_reported_as_missing() -> None:
    server = DigestServer("careline")
    assert server.verify(None, "REGISTER", PASSWORDS, 0.0).outcome == AuthOutcome.MISSING


def test_rfc2617_response_without_qop_is_accepted() -> None:
    server = DigestServer("careline", secret=b"k")
    nonce = server.challenges(0.0)[0].split('nonce="')[1].split('"')[0]
    ha1 = hashlib.md5(b"2001:careline:s3cret").hexdigest()
    ha2 = hashlib.md5(f"REGISTER:{URI}".encode()).hexdigest()
    response = hashlib.md5(f"{ha1}:{nonce}:{ha2}".encode()).hexdigest()
    header = (
        f'Digest username="2001", realm="careline", nonce="{nonce}", uri="{URI}", '
        f'response="{response}"'
    )
    assert server.verify(header, "REGISTER", PASSWORDS, 1.0).outcome == AuthOutcome.OK


def test_client_answer_matches_rfc_formula_for_sha256() -> None:
    challenge = 'Digest realm="trunk", nonce="n1", algorithm=SHA-256, qop="auth"'
    header = answer_challenges([challenge], "hosp", "pw", "INVITE", "sip:1@t")
    assert header is not None
    fields = dict(part.strip().split("=", 1) for part in header.removeprefix("Digest ").split(", "))
    cnonce, nc = fields["cnonce"].strip('"'), fields["nc"]

    def sha(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    expected = sha(f"{sha('hosp:trunk:pw')}:n1:{nc}:{cnonce}:auth:{sha('INVITE:sip:1@t')}")
    assert fields["response"].strip('"') == expected


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-256"])
def test_stored_ha1_verifies_without_the_clear_password(algorithm: str) -> None:
    server = DigestServer("careline", secret=b"k")
    stored = {"2001": digest_ha1(algorithm, "2001", "careline", "s3cret")}
    good = answer_challenges(_only(server, algorithm, 0.0), "2001", "s3cret", "REGISTER", URI)
    bad = answer_challenges(_only(server, algorithm, 0.0), "2001", "guess", "REGISTER", URI)
    assert requested_by(good) == ("2001", algorithm)

    def lookup(user: str, _algorithm: str) -> str | None:
        return stored.get(user)

    assert server.verify_ha1(good, "REGISTER", lookup, 1.0).outcome == AuthOutcome.OK
    assert server.verify_ha1(bad, "REGISTER", lookup, 1.0).outcome == AuthOutcome.FAILED


def test_ha1_follows_rfc8760_formula() -> None:
    expected = hashlib.sha256(b"2001:careline:s3cret").hexdigest()
    assert digest_ha1("SHA-256", "2001", "careline", "s3cret") == expected
    assert (
        digest_ha1("MD5", "2001", "careline", "s3cret")
        == hashlib.md5(b"2001:careline:s3cret").hexdigest()
    )
