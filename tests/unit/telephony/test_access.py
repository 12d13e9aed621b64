"""REGISTER handling: digest, binding only oneself, intervals, Contact: * (no sockets)."""

from __future__ import annotations

import itertools

import pytest

from careline.telephony.access import AccessControl
from careline.telephony.registrar import InMemoryExtensionDirectory, Registrar
from careline.telephony.sip.digest import DigestServer, answer_challenges
from careline.telephony.sip.endpoint import RequestReceived, SipEndpoint
from careline.telephony.sip.message import SipRequest, parse_message
from careline.telephony.sip.ratelimit import RateLimiter
from careline.telephony.sip.stack import SipStack
from tests.unit.telephony.sipkit import ALICE, CARELINE


class SentDatagrams:
    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def sendto(self, payload: bytes, _peer: object) -> None:
        self.sent.append(payload)


_branches = itertools.count(1)


def _register(user: str, *, contact: str, extra: str = "", cseq: int = 1) -> bytes:
    return (
        "REGISTER sip:127.0.0.1:5060 SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKreg{next(_branches)}\r\n"
        f"From: <sip:{user}@127.0.0.1>;tag=r1\r\nTo: <sip:{user}@127.0.0.1>\r\n"
        f"Call-ID: reg-{user}\r\nCSeq: {cseq} REGISTER\r\nContact: {contact}\r\n"
        f"{extra}Content-Length: 0\r\n\r\n"
    ).encode()


class Desk:
    """An AccessControl wired to a socket-less stack."""

    def __init__(self) -> None:
        self.wire = SentDatagrams()
        self.stack = SipStack(SipEndpoint(CARELINE), self._event)
        self.stack.attach(self.wire)  # type: ignore[arg-type]
        self.registrar = Registrar()
        self.limiter = RateLimiter(max_failed_auth=3)
        self.access = AccessControl(
            InMemoryExtensionDirectory({"2001": "pw1", "2002": "pw2"}),
            self.registrar,
            DigestServer("careline"),
            self.limiter,
        )
        self.pending: list[RequestReceived] = []

    def _event(self, event: object) -> None:
        assert isinstance(event, RequestReceived)
        self.pending.append(event)

    async def send(self, datagram: bytes) -> str:
        self.stack.datagram_received(datagram, ALICE)
        event = self.pending.pop()
        assert event.transaction is not None
        await self.access.handle_register(self.stack, event.request, event.transaction, ALICE)
        return self.wire.sent[-1].decode()

    async def authed(self, user: str, password: str, *, as_user: str, **kwargs: object) -> str:
        """REGISTER, take the challenge, answer it as as_user with password."""
        challenge = await self.send(_register(user, cseq=1, **kwargs))  # type: ignore[arg-type]
        header = next(
            line.split(":", 1)[1].strip()
            for line in challenge.split("\r\n")
            if line.startswith("WWW-Authenticate")
        )
        proof = answer_challenges([header], as_user, password, "REGISTER", "sip:127.0.0.1:5060")
        extra = f"Authorization: {proof}\r\n" + str(kwargs.pop("extra", ""))
        return await self.send(_register(user, cseq=2, extra=extra, **kwargs))  # type: ignore[arg-type]


CONTACT = "<sip:2001@127.0.0.1:5070>"


@pytest.mark.asyncio
async def test_register_with_password_binds_the_contact() -> None:
    desk = Desk()
    answer = await desk.authed("2001", "pw1", as_user="2001", contact=CONTACT + ";expires=120")
    assert answer.startswith("SIP/2.0 200 OK")
    assert "Contact: <sip:2001@127.0.0.1:5070>;expires=120" in answer
    binding = desk.registrar.lookup("2001", desk.stack.now)
    assert binding is not None
    assert binding.source == ALICE


@pytest.mark.asyncio
async def test_an_extension_cannot_bind_another_extension() -> None:
    desk = Desk()
    answer = await desk.authed("2002", "pw1", as_user="2001", contact=CONTACT)
    assert answer.startswith("SIP/2.0 403")
    assert desk.registrar.lookup("2002", desk.stack.now) is None


@pytest.mark.asyncio
async def test_too_short_interval_gets_423_with_min_expires() -> None:
    desk = Desk()
    answer = await desk.authed("2001", "pw1", as_user="2001", contact=CONTACT + ";expires=5")
    assert answer.startswith("SIP/2.0 423")
    assert "Min-Expires: 30" in answer


@pytest.mark.asyncio
async def test_contact_star_with_expires_zero_removes_every_binding() -> None:
    desk = Desk()
    await desk.authed("2001", "pw1", as_user="2001", contact=CONTACT)
    answer = await desk.authed("2001", "pw1", as_user="2001", contact="*", extra="Expires: 0\r\n")
    assert answer.startswith("SIP/2.0 200 OK")
    assert desk.registrar.lookup("2001", desk.stack.now) is None


@pytest.mark.asyncio
async def test_wrong_passwords_count_as_strikes_against_the_source() -> None:
    desk = Desk()
    for _ in range(3):
        answer = await desk.authed("2001", "nope", as_user="2001", contact=CONTACT)
        assert answer.startswith("SIP/2.0 401")
    assert desk.limiter.is_blocked(ALICE[0], desk.stack.now)


def test_register_builder_is_valid_sip() -> None:
    assert isinstance(parse_message(_register("2001", contact=CONTACT)), SipRequest)
