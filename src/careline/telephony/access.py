"""Who may register and call: digest challenges, REGISTER handling, failed-login counting.

Extensions authenticate by digest (RFC 3261 §22, RFC 8760) against the HA1 values the
directory stores, so no clear SIP password is kept anywhere. A REGISTER may bind only the
extension that authenticated (To user = digest username), so one stolen password cannot
hijack another desk's calls.
Each failed attempt is a strike for the source address in the rate limiter.
"""

from __future__ import annotations

import structlog

from careline.telephony.registrar import ExtensionDirectory, IntervalTooBrief, Registrar
from careline.telephony.sip.digest import ALGORITHMS, AuthOutcome, DigestServer, requested_by
from careline.telephony.sip.message import (
    SipRequest,
    build_response,
    new_tag,
    parse_address,
    user_part,
)
from careline.telephony.sip.ratelimit import RateLimiter
from careline.telephony.sip.stack import SipStack
from careline.telephony.sip.transaction import Address, ServerTransaction

log = structlog.get_logger(__name__)


class AccessControl:
    """Authenticate requests from extensions and keep the registrar up to date."""

    def __init__(
        self,
        directory: ExtensionDirectory,
        registrar: Registrar,
        digest: DigestServer,
        limiter: RateLimiter,
    ) -> None:
        self.directory = directory
        self.registrar = registrar
        self.digest = digest
        self.limiter = limiter

    async def authenticate(
        self, stack: SipStack, request: SipRequest, txn: ServerTransaction, source: Address
    ) -> str | None:
        """Return the authenticated extension, or answer 401 and return None."""
        header = request.headers.get_first("authorization")
        username, algorithm = requested_by(header)
        ha1 = None
        if username and algorithm in ALGORITHMS:
            ha1 = await self.directory.ha1_for(username, self.digest.realm, algorithm)
        result = self.digest.verify_ha1(
            header, request.method, lambda user, _alg: ha1 if user == username else None, stack.now
        )
        if result.outcome == AuthOutcome.OK:
            return result.username
        if result.outcome == AuthOutcome.FAILED:
            self.limiter.auth_failed(source[0], stack.now)
            log.info("sip_auth_failed", method=request.method)
        response = build_response(request, 401, to_tag=new_tag())
        stale = result.outcome == AuthOutcome.STALE
        for challenge in self.digest.challenges(stack.now, stale=stale):
            response.headers.append("WWW-Authenticate", challenge)
        stack.respond(txn, response)
        return None

    async def handle_register(
        self, stack: SipStack, request: SipRequest, txn: ServerTransaction, source: Address
    ) -> None:
        """Authenticate a REGISTER and update the bindings (RFC 3261 §10.3)."""
        extension = await self.authenticate(stack, request, txn, source)
        if extension is None:
            return
        to_user = user_part(request.headers.get_first("to") or "")
        if to_user != extension:
            stack.respond(txn, build_response(request, 403, to_tag=new_tag()))
            return
        try:
            self._apply_contacts(request, extension, source, stack.now, stream=txn.reliable)
        except IntervalTooBrief as exc:
            response = build_response(request, 423, to_tag=new_tag())
            response.headers.set_single("Min-Expires", str(exc))
            stack.respond(txn, response)
            return
        except ValueError:
            stack.respond(txn, build_response(request, 400, to_tag=new_tag()))
            return
        response = build_response(request, 200, to_tag=new_tag())
        for binding in self.registrar.bindings(extension, stack.now):
            response.headers.append(
                "Contact", f"<{binding.contact}>;expires={binding.remaining(stack.now)}"
            )
        stack.respond(txn, response)
        log.info("extension_registered", extension=extension)

    def _apply_contacts(
        self, request: SipRequest, extension: str, source: Address, now: float, *, stream: bool
    ) -> None:
        header_expires = request.headers.get_first("expires")
        default = int(header_expires) if header_expires is not None else None
        for value in request.headers.get("contact"):
            if value.strip() == "*":
                if default != 0:
                    raise ValueError("Contact: * needs Expires: 0")
                self.registrar.remove_all(extension)
                continue
            address = parse_address(value)
            raw = address.params.get("expires")
            expires = int(raw) if raw is not None and raw.isdigit() else default
            uri = address.uri
            contact = f"{uri.scheme}:{uri.user + '@' if uri.user else ''}{uri.host}"
            if uri.port:
                contact += f":{uri.port}"
            self.registrar.register(extension, contact, source, expires, now, stream=stream)


__all__ = ["AccessControl"]
