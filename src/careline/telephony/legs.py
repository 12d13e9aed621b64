"""Call legs: one SIP dialog plus one media stream, inbound (UAS) or outbound (UAC).

A leg turns SIP into call states and media configuration: it answers, rejects, hangs up,
handles re-INVITE for hold and resume (RFC 3264 §8.4), and ends itself when the peer sends
BYE, the RTP stops (the media stream's ``on_closed``) or the 2xx is never ACKed. Everything
a leg sends is built from its own dialog, never copied from another leg.
"""

from __future__ import annotations

import asyncio
import contextlib
from enum import StrEnum
from typing import Protocol

import structlog

from careline.telephony.media import Codec, MediaStream
from careline.telephony.sip.dialog import Dialog
from careline.telephony.sip.message import SipRequest, SipResponse, build_response
from careline.telephony.sip.sdp import (
    Negotiated,
    SdpError,
    SessionDescription,
    negotiate,
    parse_sdp,
)
from careline.telephony.sip.stack import SipStack
from careline.telephony.sip.transaction import ServerTransaction

log = structlog.get_logger(__name__)
ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE"


class LegState(StrEnum):
    RINGING = "ringing"
    CALLING = "calling"
    ANSWERED = "answered"
    ENDED = "ended"


class LegHost(Protocol):
    """What a leg needs from the server that owns it."""

    stack: SipStack

    @property
    def contact(self) -> str: ...

    def forget(self, leg: Leg) -> None: ...


class Leg:
    """State common to inbound and outbound legs."""

    def __init__(
        self, host: LegHost, dialog: Dialog, stream: MediaStream, sdp: SessionDescription
    ) -> None:
        self.host = host
        self.dialog = dialog
        self.stream = stream
        self.sdp = sdp
        self.state = LegState.RINGING
        self.negotiated: Negotiated | None = None
        self.on_hold = False
        self.end_reason = ""
        self.answered_at: float | None = None
        self.ended: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.media_ready = asyncio.Event()

    @property
    def call_id(self) -> str:
        return self.dialog.call_id

    @property
    def is_up(self) -> bool:
        return self.state == LegState.ANSWERED

    def configure(self, agreed: Negotiated) -> None:
        """Point the media stream at what SDP negotiation agreed."""
        self.negotiated = agreed
        self.stream.configure(
            remote=agreed.remote,
            codec=Codec(agreed.codec),
            payload_type=agreed.payload_type,
            dtmf_payload_type=agreed.dtmf_payload_type,
        )
        self.on_hold = agreed.direction in ("recvonly", "inactive")
        self.stream.hold(self.on_hold)
        self.media_ready.set()

    def _mark_answered(self) -> None:
        self.state = LegState.ANSWERED
        self.answered_at = asyncio.get_running_loop().time()
        # No task or coroutine per call: the stream calls back once when it ends, and its
        # future drops the callback then, which breaks the cycle leg -> stream -> leg.
        self.stream.on_closed(self._media_ended)

    def _media_ended(self, reason: str) -> None:
        if reason == "rtp_timeout" and self.state != LegState.ENDED:
            self.hangup("rtp_timeout")

    def end(self, reason: str) -> None:
        """Release the stream and tell waiters the leg is over."""
        if self.state == LegState.ENDED:
            return
        self.state = LegState.ENDED
        self.end_reason = reason
        # Closing the stream completes its future, which lets go of ``_media_ended``: no
        # reference cycle is left for a full garbage collection, whose pause grows with
        # every call in progress and stalls the media tick.
        self.stream.close()
        if not self.ended.done():
            self.ended.set_result(reason)
        self.host.forget(self)
        log.info("call_leg_ended", call_id=self.call_id, reason=reason)

    def hangup(self, reason: str = "local") -> None:
        """End the call from our side (BYE once answered)."""
        if self.state == LegState.ANSWERED:
            self.host.stack.request(self.dialog.request("BYE"), self.dialog.peer)
        self.end(reason)

    def on_request(self, request: SipRequest, txn: ServerTransaction | None) -> None:
        """Handle a request inside this leg's dialog."""
        if txn is None:
            self._on_ack(request)
            return
        stack = self.host.stack
        if not self.dialog.accepts(request):
            stack.respond(txn, self._response(request, 500))
            return
        if request.method == "BYE":
            stack.respond(txn, self._response(request, 200))
            self.end("hangup")
        elif request.method == "INVITE":
            self._on_reinvite(request, txn)
        elif request.method in ("OPTIONS", "INFO", "UPDATE"):
            stack.respond(txn, self._response(request, 200))
        else:
            response = self._response(request, 405)
            response.headers.set_single("Allow", ALLOW)
            stack.respond(txn, response)

    def _on_ack(self, ack: SipRequest) -> None:
        """Take the answer an ACK carries when our 200 held the offer (RFC 3261 §13.2.1)."""
        if self.media_ready.is_set() or self.state != LegState.ANSWERED:
            return
        try:
            self.configure(negotiate(parse_sdp(ack.text)))
        except SdpError:
            self.hangup("no_media")

    def _on_reinvite(self, request: SipRequest, txn: ServerTransaction) -> None:
        stack = self.host.stack
        if self.state != LegState.ANSWERED:
            stack.respond(txn, self._response(request, 491))
            return
        if not request.body:
            self.sdp.bump()
            assert self.negotiated is not None
            stack.respond(txn, self._with_sdp(self._response(request, 200), self.sdp.offer()))
            return
        try:
            agreed = negotiate(parse_sdp(request.text))
        except SdpError:
            stack.respond(txn, self._response(request, 488))
            return
        self.configure(agreed)
        self.sdp.bump()
        answer = self.sdp.answer(agreed)
        stack.respond(txn, self._with_sdp(self._response(request, 200), answer))

    def _response(self, request: SipRequest, status: int) -> SipResponse:
        response = build_response(request, status, to_tag=self.dialog.local_tag)
        if 100 < status < 300 and request.method == "INVITE":
            # A proxy that record-routed the INVITE stays on the path only if the phone
            # learns the route set from our 18x/2xx (RFC 3261 §12.1.1).
            for route in request.headers.get("record-route"):
                response.headers.append("Record-Route", route)
        if 200 <= status < 300 and request.method == "INVITE":
            response.headers.set_single("Contact", f"<{self.host.contact}>")
        return response

    def _with_sdp(self, response: SipResponse, sdp: str) -> SipResponse:
        response.headers.set_single("Content-Type", "application/sdp")
        response.headers.set_single("Allow", ALLOW)
        response.body = sdp.encode()
        return response


class InboundLeg(Leg):
    """A call that reached Careline (UAS side)."""

    def __init__(
        self,
        host: LegHost,
        dialog: Dialog,
        stream: MediaStream,
        sdp: SessionDescription,
        invite: ServerTransaction,
        offer: Negotiated | None,
    ) -> None:
        super().__init__(host, dialog, stream, sdp)
        self.invite = invite
        self.offer = offer

    def ring(self) -> None:
        """Send 180 Ringing."""
        if self.state == LegState.RINGING:
            self.host.stack.respond(self.invite, self._response(self.invite.request, 180))

    def answer(self) -> None:
        """Send 200 OK with our SDP answer and start media."""
        if self.state != LegState.RINGING:
            return
        if self.offer is None:
            # Delayed offer: ours goes in the 200, the answer comes in the ACK.
            body = self.sdp.offer()
        else:
            self.configure(self.offer)
            body = self.sdp.answer(self.offer)
        response = self._with_sdp(self._response(self.invite.request, 200), body)
        self.host.stack.respond(self.invite, response)
        self._mark_answered()

    def reject(self, status: int, reason: str = "rejected") -> None:
        """Refuse the call before answering."""
        if self.state == LegState.RINGING:
            self.host.stack.respond(self.invite, self._response(self.invite.request, status))
        self.end(reason)

    def hangup(self, reason: str = "local") -> None:
        if self.state == LegState.RINGING:
            self.reject(480, reason)
            return
        super().hangup(reason)

    def cancelled(self) -> None:
        """The caller gave up while it rang (CANCEL): answer the INVITE with 487."""
        self.reject(487, "cancelled")


async def wait_quietly(future: asyncio.Future[str], timeout: float | None) -> str | None:
    """Wait for a leg to end, without cancelling the shared future on timeout."""
    with contextlib.suppress(TimeoutError):
        return await asyncio.wait_for(asyncio.shield(future), timeout)
    return None


__all__ = ["ALLOW", "InboundLeg", "Leg", "LegHost", "LegState", "wait_quietly"]
