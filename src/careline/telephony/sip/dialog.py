"""SIP dialogs (RFC 3261 §12): the state two user agents share for the length of a call.

Careline is a B2BUA: every leg is its own dialog with headers built from scratch, so
nothing of one party (From, Contact, P-Asserted-Identity, SDP origin) reaches the other.
In-dialog requests go to the address the dialog was set up with (the source of the peer's
INVITE, or where ours went) rather than to the Contact: phones behind NAT put private
addresses in Contact, and the trunk is the only next hop we trust.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from careline.telephony.sip.message import (
    SipRequest,
    SipResponse,
    new_tag,
    parse_address,
)
from careline.telephony.sip.transaction import Address


def _tag(value: str) -> str:
    return parse_address(value).tag or ""


def _without_tag(value: str) -> str:
    address = parse_address(value)
    address.tag = None
    uri = address.uri
    user = f"{uri.user}@" if uri.user else ""
    port = f":{uri.port}" if uri.port else ""
    return f"<{uri.scheme}:{user}{uri.host}{port}>"


def _contact_uri(message: SipRequest | SipResponse) -> str | None:
    value = message.headers.get_first("contact")
    if not value:
        return None
    address = parse_address(value)
    uri = address.uri
    user = f"{uri.user}@" if uri.user else ""
    port = f":{uri.port}" if uri.port else ""
    return f"{uri.scheme}:{user}{uri.host}{port}"


@dataclass
class Dialog:
    """Our view of one dialog; builds in-dialog requests."""

    call_id: str
    local_tag: str
    local_uri: str
    remote_uri: str
    remote_target: str
    peer: Address
    local_contact: str
    remote_tag: str = ""
    local_cseq: int = 1
    remote_cseq: int = -1
    route_set: list[str] = field(default_factory=list)

    @classmethod
    def for_incoming(cls, invite: SipRequest, source: Address, local_contact: str) -> Dialog:
        """Build the UAS side of a dialog from an initial INVITE."""
        return cls(
            call_id=invite.call_id or "",
            local_tag=new_tag(),
            local_uri=_without_tag(invite.headers.get_first("to") or ""),
            remote_uri=_without_tag(invite.headers.get_first("from") or ""),
            remote_target=_contact_uri(invite) or invite.uri,
            peer=source,
            local_contact=local_contact,
            remote_tag=_tag(invite.headers.get_first("from") or ""),
            remote_cseq=int((invite.headers.get_first("cseq") or "0").split()[0]),
            route_set=list(invite.headers.get("record-route")),
        )

    def confirm(self, response: SipResponse) -> None:
        """Complete a UAC dialog from the 2xx to our INVITE."""
        self.remote_tag = _tag(response.headers.get_first("to") or "")
        self.remote_target = _contact_uri(response) or self.remote_target
        self.route_set = list(reversed(response.headers.get("record-route")))

    def from_value(self) -> str:
        return f"{self.local_uri};tag={self.local_tag}"

    def to_value(self) -> str:
        return f"{self.remote_uri};tag={self.remote_tag}" if self.remote_tag else self.remote_uri

    def request(self, method: str, *, body: bytes = b"", content_type: str = "") -> SipRequest:
        """Build the next in-dialog request (new CSeq)."""
        self.local_cseq += 1
        return self._build(method, self.local_cseq, body, content_type)

    def initial_invite(self, body: bytes) -> SipRequest:
        """Build the INVITE that creates this dialog (UAC)."""
        return self._build("INVITE", self.local_cseq, body, "application/sdp")

    def ack(self, cseq: int) -> SipRequest:
        """Build the ACK for a 2xx (same CSeq number as the INVITE, §13.2.2.4)."""
        return self._build("ACK", cseq, b"", "")

    def _build(self, method: str, cseq: int, body: bytes, content_type: str) -> SipRequest:
        request = SipRequest(method=method, uri=self.remote_target)
        request.headers.set_single("From", self.from_value())
        request.headers.set_single("To", self.to_value())
        request.headers.set_single("Call-ID", self.call_id)
        request.headers.set_single("CSeq", f"{cseq} {method}")
        request.headers.set_single("Contact", f"<{self.local_contact}>")
        for route in self.route_set:
            request.headers.append("Route", route)
        if body:
            request.headers.set_single("Content-Type", content_type)
            request.body = body
        return request

    def accepts(self, request: SipRequest) -> bool:
        """Check the CSeq of an in-dialog request and remember it (§12.2.2)."""
        seq = int((request.headers.get_first("cseq") or "0").split()[0])
        if request.method == "ACK":
            return True
        if seq <= self.remote_cseq:
            return False
        self.remote_cseq = seq
        return True


__all__ = ["Dialog"]
