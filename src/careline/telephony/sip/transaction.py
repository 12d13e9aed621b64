"""SIP transactions without I/O (RFC 3261 §17, RFC 6026 for INVITE 2xx).

Theory of operation: a transaction is a small state machine that owns the retransmission
timers of one request/response exchange. It never touches a socket or a clock; the
endpoint passes ``now`` in and collects what the transaction wants sent from ``outbox``.
Timers are absolute deadlines in ``timers`` (name -> when); the endpoint keeps a single heap
of them, so a thousand calls cost one event-loop timer, not a thousand.

Timers (T1 = 500 ms, T2 = 4 s, T4 = 5 s; over a reliable transport retransmit timers are
not armed and wait timers are zero):

- client INVITE: A (retransmit, doubling), B (64*T1 give up), D (32 s absorb finals)
- client non-INVITE: E (retransmit, doubling to T2), F (64*T1 give up), K (T4 absorb)
- server INVITE: G (retransmit final, doubling to T2), H (64*T1 wait ACK), I (T4 absorb ACKs)
- server non-INVITE: J (64*T1 absorb request retransmissions)

A 2xx to INVITE ends the transaction at once (§17.2.1); retransmitting that 2xx until the
ACK comes and re-sending our ACK when the peer's 2xx is repeated is dialog work, kept in
the endpoint (``_Accepted``).
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from enum import StrEnum

from careline.telephony.sip.message import SipRequest, SipResponse, top_branch

T1 = 0.5
T2 = 4.0
T4 = 5.0

Address = tuple[str, int]


class TxState(StrEnum):
    CALLING = "calling"
    TRYING = "trying"
    PROCEEDING = "proceeding"
    COMPLETED = "completed"
    CONFIRMED = "confirmed"
    TERMINATED = "terminated"


@dataclass(eq=False)
class Transaction(abc.ABC):
    """State shared by the four transaction kinds."""

    request: SipRequest
    peer: Address
    reliable: bool = False
    state: TxState = TxState.TRYING
    timers: dict[str, float] = field(default_factory=dict)
    outbox: list[bytes] = field(default_factory=list)
    interval: float = T1
    last_response: SipResponse | None = None

    @property
    def method(self) -> str:
        return self.request.method

    @property
    def key(self) -> tuple[str, str]:
        method = "INVITE" if self.method == "ACK" else self.method
        return (top_branch(self.request), method)

    def _send(self, message: SipRequest | SipResponse) -> None:
        self.outbox.append(bytes(message))

    def _wait(self, name: str, now: float, seconds: float) -> None:
        self.timers[name] = now + (0.0 if self.reliable else seconds)

    def _terminate(self) -> None:
        self.state = TxState.TERMINATED
        self.timers.clear()

    @abc.abstractmethod
    def on_timer(self, name: str, now: float) -> None:
        """Handle one expired timer (each kind overrides)."""


@dataclass(eq=False)
class ClientTransaction(Transaction):
    """The sending side of one request; finals and timeouts are read by the endpoint."""

    timed_out: bool = False
    ack: SipRequest | None = None

    def start(self, now: float) -> None:
        """Send the request and arm the first timers."""
        invite = self.method == "INVITE"
        self.state = TxState.CALLING if invite else TxState.TRYING
        self._send(self.request)
        if not self.reliable:
            self.timers["A" if invite else "E"] = now + T1
        self.timers["B" if invite else "F"] = now + 64 * T1

    def on_response(self, response: SipResponse, now: float) -> bool:
        """Take a response; return True when the transaction user should see it."""
        code = response.status_code
        if self.state in (TxState.COMPLETED, TxState.TERMINATED):
            if self.ack is not None and code >= 300:
                self._send(self.ack)
            return False
        self.last_response = response
        if code < 200:
            self.state = TxState.PROCEEDING
            self.timers.pop("A", None)
            if self.method == "INVITE":
                self.timers.pop("B", None)  # ringing may last; the TU cancels (§9.1)
            return True
        if self.method == "INVITE" and code < 300:
            self._terminate()
            return True
        self.state = TxState.COMPLETED
        self.timers.clear()
        if self.method == "INVITE":
            self.ack = _ack_for_failure(self.request, response)
            self._send(self.ack)
            self._wait("D", now, 32.0)
        else:
            self._wait("K", now, T4)
        return True

    def abandon(self) -> None:
        """Give up without a final response (a CANCEL that was never answered)."""
        self.timed_out = True
        self._terminate()

    def on_timer(self, name: str, now: float) -> None:
        """Handle one expired timer."""
        if name in ("A", "E"):
            self._send(self.request)
            cap = 1e9 if name == "A" else T2
            if self.state == TxState.PROCEEDING and name == "E":
                self.interval = T2
            else:
                self.interval = min(self.interval * 2, cap)
            self.timers[name] = now + self.interval
        elif name in ("B", "F"):
            self.timed_out = True
            self._terminate()
        elif name in ("D", "K"):
            self._terminate()


@dataclass(eq=False)
class ServerTransaction(Transaction):
    """The receiving side of one request; the transaction user answers through respond()."""

    acked: bool = False

    def respond(self, response: SipResponse, now: float) -> None:
        """Send a response and move the state machine."""
        if self.state in (TxState.COMPLETED, TxState.CONFIRMED, TxState.TERMINATED):
            return
        self.last_response = response
        self._send(response)
        code = response.status_code
        if code < 200:
            self.state = TxState.PROCEEDING
        elif self.method == "INVITE" and code < 300:
            self._terminate()
        elif self.method == "INVITE":
            self.state = TxState.COMPLETED
            if not self.reliable:
                self.timers["G"] = now + T1
            self.timers["H"] = now + 64 * T1
        else:
            self.state = TxState.COMPLETED
            self._wait("J", now, 64 * T1)

    def on_retransmission(self) -> None:
        """Answer a repeated request with the last response, if any (§17.2.1, §17.2.2)."""
        if self.last_response is not None and self.state != TxState.CONFIRMED:
            self._send(self.last_response)

    def on_ack(self, now: float) -> None:
        """Absorb the ACK of a non-2xx final response."""
        if self.state == TxState.COMPLETED:
            self.acked = True
            self.state = TxState.CONFIRMED
            self.timers.clear()
            self._wait("I", now, T4)

    def on_timer(self, name: str, now: float) -> None:
        """Handle one expired timer."""
        if name == "G" and self.last_response is not None:
            self._send(self.last_response)
            self.interval = min(self.interval * 2, T2)
            self.timers["G"] = now + self.interval
        elif name in ("H", "I", "J"):
            self._terminate()


def _ack_for_failure(invite: SipRequest, response: SipResponse) -> SipRequest:
    """Build the hop-by-hop ACK for a 3xx-6xx answer to INVITE (RFC 3261 §17.1.1.3)."""
    ack = SipRequest(method="ACK", uri=invite.uri)
    ack.headers.append("Via", invite.headers.get("via")[0])
    for name in ("From", "Call-ID", "Route"):
        for value in invite.headers.get(name):
            ack.headers.append(name, value)
    ack.headers.set_single("To", response.headers.get_first("to") or "")
    seq = (invite.headers.get_first("cseq") or "1").split()[0]
    ack.headers.set_single("CSeq", f"{seq} ACK")
    ack.headers.set_single("Max-Forwards", "70")
    return ack


__all__ = ["T1", "T2", "T4", "ClientTransaction", "ServerTransaction", "Transaction", "TxState"]
