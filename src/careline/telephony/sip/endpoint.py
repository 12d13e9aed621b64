"""The SIP endpoint core: bytes in, bytes and events out, no sockets, no clock.

Driven like aioquic's connection: the shell calls ``receive_datagram(data, addr, now)``
for every datagram, sends what ``datagrams_to_send(now)`` returns, arms one timer at
``get_timer()`` and calls ``handle_timer(now)`` when it fires, and reads ``next_event()``
until it returns None. The transaction user (the voice server) answers through
``respond()``, sends with ``send_request()``/``send_ack()``/``send_cancel()``.

What happens here (RFC 3261): transaction matching by branch and method (§17.1.3,
§17.2.3) with a fallback key for RFC 2543 peers, retransmission absorption, CANCEL
matching and its 200 (§9.2), 100 Trying for INVITE, 2xx retransmission until the ACK and
ACK re-sending for a repeated 2xx (§13.3.1.4, §13.2.2.4), 400 to malformed requests that
can still be routed (§21.4.1), rate limiting per source before parsing.
"""

from __future__ import annotations

import heapq
import itertools
from collections import deque
from dataclasses import dataclass, field

import structlog

from careline.telephony.sip.message import (
    SipParseError,
    SipRequest,
    SipResponse,
    build_response,
    new_branch,
    parse_message,
    top_branch,
)
from careline.telephony.sip.ratelimit import RateLimiter
from careline.telephony.sip.transaction import (
    T1,
    T2,
    Address,
    ClientTransaction,
    ServerTransaction,
    Transaction,
    TxState,
)

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class RequestReceived:
    """A new request; ``transaction`` is None for an ACK to a 2xx (it belongs to the dialog)."""

    request: SipRequest
    source: Address
    transaction: ServerTransaction | None


@dataclass(frozen=True)
class ResponseReceived:
    response: SipResponse
    source: Address
    transaction: ClientTransaction


@dataclass(frozen=True)
class TransactionTimedOut:
    transaction: ClientTransaction


@dataclass(frozen=True)
class CancelReceived:
    """The peer cancelled this INVITE; the endpoint already answered the CANCEL itself."""

    invite: ServerTransaction


@dataclass(frozen=True)
class AckTimedOut:
    """Our 2xx to an INVITE was never acknowledged (§13.3.1.4): end the dialog."""

    call_id: str


Event = RequestReceived | ResponseReceived | TransactionTimedOut | CancelReceived | AckTimedOut


@dataclass(eq=False)
class _Accepted:
    """A 2xx to INVITE being retransmitted (ours) or a peer's 2xx we already ACKed."""

    call_id: str
    peer: Address
    payload: bytes | None
    ours: bool
    timers: dict[str, float] = field(default_factory=dict)
    interval: float = T1


def _cseq_number(message: SipRequest | SipResponse) -> str:
    return (message.headers.get_first("cseq") or "").split(" ", 1)[0]


def _server_key(request: SipRequest) -> tuple[str, str]:
    """Match requests to server transactions: branch, sent-by and method (§17.2.3)."""
    method = "INVITE" if request.method in ("ACK", "CANCEL") else request.method
    vias = request.headers.get("via")
    top = vias[0] if vias else ""
    branch = top_branch(request)
    sent_by = "".join(top.split(";", 1)[0].split()[1:]).lower()
    if not branch.startswith("z9hG4bK"):
        # RFC 2543 peer: no usable branch (§17.2.3), key on the dialog-ish headers
        from_ = request.headers.get_first("from") or ""
        branch = f"{request.call_id}|{_cseq_number(request)}|{from_}|{top}"
    return (f"{branch}|{sent_by}", method)


class SipEndpoint:
    """Transaction layer and message routing for one listening address."""

    def __init__(
        self,
        local: Address,
        *,
        transport: str = "UDP",
        limiter: RateLimiter | None = None,
        user_agent: str = "Careline",
    ) -> None:
        self.local = local
        self.transport = transport
        self.reliable = transport != "UDP"
        self.limiter = limiter or RateLimiter()
        self.user_agent = user_agent
        self.malformed = 0
        self._server: dict[tuple[str, str], ServerTransaction] = {}
        self._client: dict[tuple[str, str], ClientTransaction] = {}
        self._accepted: dict[tuple[str, str], _Accepted] = {}
        self._out: list[tuple[bytes, Address]] = []
        self._events: deque[Event] = deque()
        self._heap: list[tuple[float, int, Transaction | _Accepted, str]] = []
        self._scheduled: set[tuple[int, str, float]] = set()
        self._seq = itertools.count()

    # ---- driving interface ------------------------------------------------------------

    def receive_datagram(
        self, data: bytes, addr: Address, now: float, *, reliable: bool = False
    ) -> None:
        """Take one datagram (or one framed message from a stream, reliable=True)."""
        if not data.strip(b"\r\n\0 "):
            return  # CRLF keep-alive (RFC 5626 §4.4.1)
        if not self.limiter.allow(addr[0], now):
            return
        try:
            message = parse_message(data)
        except SipParseError as exc:
            self._reject_malformed(data, addr, exc)
            return
        try:
            if isinstance(message, SipResponse):
                self._on_response(message, addr, now)
            else:
                self._on_request(message, addr, now, reliable or self.reliable)
        except (ValueError, KeyError, IndexError) as exc:
            self.malformed += 1
            log.info("sip_message_refused", reason=str(exc)[:80])

    def datagrams_to_send(self, now: float) -> list[tuple[bytes, Address]]:  # noqa: ARG002
        """Return and forget the datagrams waiting to go out."""
        out, self._out = self._out, []
        return out

    def get_timer(self) -> float | None:
        """Return when handle_timer() must next be called, or None."""
        while self._heap:
            when, _, owner, name = self._heap[0]
            if owner.timers.get(name) == when:
                return when
            heapq.heappop(self._heap)
            self._scheduled.discard((id(owner), name, when))
        return None

    def handle_timer(self, now: float) -> None:
        """Fire every timer that is due."""
        while self._heap and self._heap[0][0] <= now:
            when, _, owner, name = heapq.heappop(self._heap)
            self._scheduled.discard((id(owner), name, when))
            if owner.timers.get(name) != when:
                continue
            del owner.timers[name]
            if isinstance(owner, _Accepted):
                self._accepted_timer(owner, name, now)
            else:
                owner.on_timer(name, now)
                self._after(owner)

    def next_event(self) -> Event | None:
        """Return the next event for the transaction user, or None."""
        return self._events.popleft() if self._events else None

    # ---- transaction user interface ---------------------------------------------------

    def via(self, branch: str | None = None, *, reliable: bool = False) -> str:
        """Return a Via value for a request sent from this endpoint."""
        host, port = self.local
        transport = "TCP" if reliable or self.reliable else "UDP"
        return f"SIP/2.0/{transport} {host}:{port};branch={branch or new_branch()};rport"

    def send_request(
        self, request: SipRequest, peer: Address, now: float, *, reliable: bool = False
    ) -> ClientTransaction:
        """Start a client transaction; a Via with a fresh branch is put on top."""
        reliable = reliable or self.reliable
        vias = request.headers.get("via")
        request.headers.remove("via")
        request.headers.append("Via", self.via(reliable=reliable))
        for value in vias:
            request.headers.append("Via", value)
        request.headers.set_single("Max-Forwards", "70")
        request.headers.set_single("User-Agent", self.user_agent)
        txn = ClientTransaction(request, peer, reliable)
        self._client[txn.key] = txn
        txn.start(now)
        self._after(txn)
        return txn

    def send_cancel(self, invite: ClientTransaction, now: float) -> ClientTransaction | None:
        """Cancel a pending INVITE (§9.1): same branch, only once a provisional arrived."""
        if invite.state != TxState.PROCEEDING:
            return None
        cancel = SipRequest(method="CANCEL", uri=invite.request.uri)
        cancel.headers.append("Via", invite.request.headers.get("via")[0])
        for name in ("From", "To", "Call-ID", "Route"):
            for value in invite.request.headers.get(name):
                cancel.headers.append(name, value)
        cancel.headers.set_single("CSeq", f"{_cseq_number(invite.request)} CANCEL")
        cancel.headers.set_single("Max-Forwards", "70")
        txn = ClientTransaction(cancel, invite.peer, invite.reliable)
        self._client[txn.key] = txn
        txn.start(now)
        self._after(txn)
        return txn

    def abandon(self, txn: ClientTransaction) -> None:
        """Forget a client transaction the transaction user gave up on."""
        txn.abandon()
        self._after(txn)

    def send_ack(
        self,
        ack: SipRequest,
        peer: Address,
        now: float,  # noqa: ARG002
        *,
        reliable: bool = False,
    ) -> None:
        """Send the ACK for a 2xx and remember it for the peer's 2xx retransmissions."""
        ack.headers.remove("via")
        ack.headers.append("Via", self.via(reliable=reliable))
        ack.headers.set_single("Max-Forwards", "70")
        payload = bytes(ack)
        self._out.append((payload, peer))
        memo = self._accepted.get((ack.call_id or "", _cseq_number(ack)))
        if memo is not None and not memo.ours:
            memo.payload = payload

    def respond(self, txn: ServerTransaction, response: SipResponse, now: float) -> None:
        """Answer a server transaction; a 2xx to INVITE is retransmitted until ACKed."""
        response.headers.set_single("Server", self.user_agent)
        txn.respond(response, now)
        self._after(txn)
        if txn.method == "INVITE" and 200 <= response.status_code < 300:
            key = (txn.request.call_id or "", _cseq_number(txn.request))
            memo = _Accepted(key[0], txn.peer, bytes(response), ours=True)
            if not txn.reliable:
                memo.timers["G"] = now + T1
            memo.timers["H"] = now + 64 * T1
            self._accepted[key] = memo
            self._schedule(memo)

    def send_stateless(self, response: SipResponse, peer: Address) -> None:
        """Send a response outside any transaction (malformed or unmatched requests)."""
        response.headers.set_single("Server", self.user_agent)
        self._out.append((bytes(response), peer))

    @property
    def transaction_count(self) -> int:
        return len(self._server) + len(self._client)

    # ---- internals -------------------------------------------------------------------

    def _reject_malformed(self, data: bytes, addr: Address, exc: SipParseError) -> None:
        self.malformed += 1
        log.debug("sip_malformed", reason=exc.reason[:80])
        try:
            loose = SipRequest.parse(data)
        except Exception:  # noqa: BLE001 - any failure of the lenient parser means drop
            return
        if not isinstance(loose, SipRequest) or loose.method.upper() == "ACK":
            return
        if not all(loose.headers.get(name) for name in ("via", "call-id", "cseq", "from", "to")):
            return
        try:
            response = build_response(loose, exc.status, reason=_safe_reason(exc))
            self.send_stateless(response, addr)
        except ValueError:
            return

    def _on_request(self, request: SipRequest, addr: Address, now: float, reliable: bool) -> None:
        key = _server_key(request)
        if request.method == "ACK":
            self._on_ack(request, addr, key, now)
            return
        if request.method == "CANCEL":
            self._on_cancel(request, addr, key, now, reliable)
            return
        existing = self._server.get(key)
        if existing is not None:
            existing.on_retransmission()
            self._after(existing)
            return
        accepted = self._accepted.get((request.call_id or "", _cseq_number(request)))
        if request.method == "INVITE" and accepted is not None and accepted.ours:
            if accepted.payload is not None:  # RFC 6026 "Accepted": repeat our 2xx
                self._out.append((accepted.payload, addr))
            return
        txn = ServerTransaction(request, addr, reliable)
        self._server[key] = txn
        if request.method == "INVITE":
            self.respond(txn, build_response(request, 100), now)
        self._events.append(RequestReceived(request, addr, txn))

    def _on_ack(self, ack: SipRequest, addr: Address, key: tuple[str, str], now: float) -> None:
        invite = self._server.get(key)
        if invite is not None and invite.state in (TxState.COMPLETED, TxState.CONFIRMED):
            invite.on_ack(now)
            self._after(invite)
            return
        memo = self._accepted.get((ack.call_id or "", _cseq_number(ack)))
        if memo is not None and memo.ours:
            del self._accepted[(memo.call_id, _cseq_number(ack))]
            memo.timers.clear()
        self._events.append(RequestReceived(ack, addr, None))

    def _on_cancel(
        self,
        cancel: SipRequest,
        addr: Address,
        key: tuple[str, str],
        now: float,
        reliable: bool,
    ) -> None:
        repeat = self._server.get((key[0], "CANCEL"))
        if repeat is not None:
            repeat.on_retransmission()
            self._after(repeat)
            return
        invite = self._server.get(key)
        if invite is None:
            self.send_stateless(build_response(cancel, 481), addr)
            return
        txn = ServerTransaction(cancel, addr, reliable)
        self._server[(key[0], "CANCEL")] = txn
        self.respond(txn, build_response(cancel, 200), now)
        if invite.state in (TxState.TRYING, TxState.PROCEEDING):
            self._events.append(CancelReceived(invite))

    def _on_response(self, response: SipResponse, addr: Address, now: float) -> None:
        method = (response.headers.get_first("cseq") or " ").split()[-1]
        txn = self._client.get((top_branch(response), method))
        key = (response.call_id or "", _cseq_number(response))
        if txn is None:
            memo = self._accepted.get(key)
            if memo is not None and not memo.ours and memo.payload is not None:
                self._out.append((memo.payload, memo.peer))
            return
        if txn.on_response(response, now):
            self._events.append(ResponseReceived(response, addr, txn))
            if method == "INVITE" and 200 <= response.status_code < 300:
                memo = _Accepted(key[0], txn.peer, None, ours=False)
                memo.timers["H"] = now + 64 * T1
                self._accepted[key] = memo
                self._schedule(memo)
        self._after(txn)

    def _accepted_timer(self, memo: _Accepted, name: str, now: float) -> None:
        if name == "G" and memo.payload is not None:
            self._out.append((memo.payload, memo.peer))
            memo.interval = min(memo.interval * 2, T2)
            memo.timers["G"] = now + memo.interval
            self._schedule(memo)
            return
        memo.timers.clear()
        for key, value in list(self._accepted.items()):
            if value is memo:
                del self._accepted[key]
        if memo.ours and name == "H":
            self._events.append(AckTimedOut(memo.call_id))

    def _after(self, txn: Transaction) -> None:
        for payload in txn.outbox:
            self._out.append((payload, txn.peer))
        txn.outbox.clear()
        if txn.state == TxState.TERMINATED:
            if isinstance(txn, ClientTransaction):
                if self._client.get(txn.key) is txn:
                    del self._client[txn.key]
                if txn.timed_out:
                    self._events.append(TransactionTimedOut(txn))
            else:
                key = _server_key(txn.request)
                if txn.method == "CANCEL":
                    key = (key[0], "CANCEL")
                if self._server.get(key) is txn:
                    del self._server[key]
            return
        self._schedule(txn)

    def _schedule(self, owner: Transaction | _Accepted) -> None:
        for name, when in owner.timers.items():
            marker = (id(owner), name, when)
            if marker not in self._scheduled:
                self._scheduled.add(marker)
                heapq.heappush(self._heap, (when, next(self._seq), owner, name))


def _safe_reason(exc: SipParseError) -> str:
    return {
        400: "Bad Request",
        416: "Unsupported URI Scheme",
        505: "Version Not Supported",
        513: "Message Too Large",
    }.get(exc.status, "Bad Request")


__all__ = [
    "AckTimedOut",
    "CancelReceived",
    "Event",
    "RequestReceived",
    "ResponseReceived",
    "SipEndpoint",
    "TransactionTimedOut",
]
