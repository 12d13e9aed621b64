"""Outbound legs: ring a number through the trunk or a registered extension (UAC side).

The INVITE carries the hospital's number in From and nothing of any other party. A 401 or
407 from the trunk is answered once with digest credentials (RFC 3261 §22.2). When the
ring time runs out, or the caller we would bridge to hangs up first, the INVITE is
cancelled (§9.1); a 2xx that crosses our CANCEL is ACKed and then ended with BYE (§9.1,
last paragraph of §15). Results map to answered / busy / no answer / failed with the SIP
status that decided it.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from careline.telephony.legs import Leg, LegHost, LegState
from careline.telephony.media import MediaEngine, MediaStream
from careline.telephony.sip.dialog import Dialog
from careline.telephony.sip.digest import answer_challenges
from careline.telephony.sip.message import SipRequest, SipResponse, new_tag
from careline.telephony.sip.sdp import SdpError, SessionDescription, negotiate, parse_sdp
from careline.telephony.sip.stack import ClientHandle
from careline.telephony.sip.transaction import Address

_POLL = 0.2
_CANCEL_GRACE = 32.0
_BUSY = {486, 600, 603}
_NO_ANSWER = {408, 480, 487}


class DialStatus(StrEnum):
    ANSWERED = "answered"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    FAILED = "failed"


@dataclass(frozen=True)
class DialTarget:
    """Where and how to send the INVITE."""

    request_uri: str
    peer: Address
    caller_id: str
    from_domain: str
    credentials: tuple[str, str] | None = None


def status_for(code: int) -> DialStatus:
    """Map a final SIP status to the outcome a flow acts on."""
    if 200 <= code < 300:
        return DialStatus.ANSWERED
    if code in _BUSY:
        return DialStatus.BUSY
    if code in _NO_ANSWER:
        return DialStatus.NO_ANSWER
    return DialStatus.FAILED


class OutboundLeg(Leg):
    """A call Careline places."""

    def __init__(
        self, host: LegHost, dialog: Dialog, stream: MediaStream, sdp: SessionDescription
    ) -> None:
        super().__init__(host, dialog, stream, sdp)
        self.state = LegState.CALLING
        self._abort = False

    def hangup(self, reason: str = "local") -> None:
        if self.state == LegState.CALLING:
            self._abort = True
            self.end_reason = reason
            return
        super().hangup(reason)

    async def run(self, target: DialTarget, ring_timeout: float) -> tuple[DialStatus, int]:
        """Send the INVITE and wait for the call to be answered or refused."""
        loop = asyncio.get_running_loop()
        offer = self.sdp.offer().encode()
        handle = self.host.stack.request(self.dialog.initial_invite(offer), target.peer)
        deadline = loop.time() + ring_timeout
        cancelled = authenticated = False
        while True:
            if not cancelled and (self._abort or loop.time() >= deadline):
                cancelled = self.host.stack.cancel(handle) is not None
                deadline = loop.time() + _CANCEL_GRACE
            elif cancelled and loop.time() >= deadline:
                self.host.stack.abandon(handle)  # no 487 within 64*T1 (§9.1)
            try:
                response = await asyncio.wait_for(handle.next(), _POLL)
            except TimeoutError:
                continue
            if response is None:
                return (DialStatus.NO_ANSWER if cancelled else DialStatus.FAILED), 408
            code = response.status_code
            if code < 200:
                continue
            if code in (401, 407) and target.credentials and not authenticated:
                authenticated = True
                handle = self._retry_with_auth(handle, response, target)
                continue
            if code < 300:
                return self._accept(response, handle, cancelled)
            return status_for(code), code

    def _retry_with_auth(
        self, handle: ClientHandle, response: SipResponse, target: DialTarget
    ) -> ClientHandle:
        assert target.credentials is not None
        header = "WWW-Authenticate" if response.status_code == 401 else "Proxy-Authenticate"
        answer = answer_challenges(
            response.headers.get(header), *target.credentials, "INVITE", target.request_uri
        )
        self.dialog.local_cseq += 1
        request: SipRequest = self.dialog.initial_invite(handle.transaction.request.body)
        if answer is not None:
            name = "Authorization" if response.status_code == 401 else "Proxy-Authorization"
            request.headers.set_single(name, answer)
        return self.host.stack.request(request, target.peer)

    def _accept(
        self, response: SipResponse, handle: ClientHandle, cancelled: bool
    ) -> tuple[DialStatus, int]:
        self.dialog.confirm(response)
        cseq = int((handle.transaction.request.headers.get_first("cseq") or "1").split()[0])
        self.host.stack.send_ack(self.dialog.ack(cseq), self.dialog.peer)
        try:
            agreed = negotiate(parse_sdp(response.text))
        except SdpError:
            self.state = LegState.ANSWERED
            self.hangup("bad_sdp")
            return DialStatus.FAILED, 488
        self.configure(agreed)
        self._mark_answered()
        if cancelled:
            reason = self.end_reason or "cancelled"
            self.hangup(reason)
            return DialStatus.NO_ANSWER, 487
        return DialStatus.ANSWERED, response.status_code


async def place_call(
    host: LegHost,
    media: MediaEngine,
    target: DialTarget,
    *,
    ring_timeout: float,
    register: Callable[[Leg], None] | None = None,
) -> tuple[DialStatus, int, OutboundLeg | None]:
    """Ring a target; return the outcome, the deciding SIP status and the leg if answered."""
    stream = await media.open_stream()
    sdp = SessionDescription(stream.local_host, stream.local_port)
    dialog = Dialog(
        call_id=f"{secrets.token_hex(12)}@careline",
        local_tag=new_tag(),
        local_uri=f"<sip:{target.caller_id or 'careline'}@{target.from_domain}>",
        remote_uri=f"<{target.request_uri}>",
        remote_target=target.request_uri,
        peer=target.peer,
        local_contact=host.contact,
    )
    leg = OutboundLeg(host, dialog, stream, sdp)
    if register is not None:
        register(leg)
    try:
        status, code = await leg.run(target, ring_timeout)
    except BaseException:
        leg.hangup("error")
        leg.end("error")
        raise
    if status != DialStatus.ANSWERED:
        leg.end(status.value)
        return status, code, None
    return status, code, leg


__all__ = ["DialStatus", "DialTarget", "OutboundLeg", "place_call", "status_for"]
