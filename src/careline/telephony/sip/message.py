"""SIP messages: aiosipua's parser behind a strict validating front (RFC 3261 §7, §8.1.1, §20).

aiosipua parses leniently (it accepts a request line with any version, a CSeq whose method
differs from the request's, a non-numeric Content-Length...). A server facing the internet
must refuse those, so every datagram goes through :func:`parse_message`, which calls the
library and then checks what RFC 3261 requires of a message a UAS acts on. Anything
refused raises :class:`SipParseError`; the endpoint answers 400 when it can route a reply
and drops the datagram otherwise. Nothing outside ``telephony.sip`` imports aiosipua.
"""

from __future__ import annotations

import logging
import re
import secrets

from aiosipua import (
    Address,
    CSeq,
    SipMessage,
    SipRequest,
    SipResponse,
    SipUri,
    Via,
    parse_address,
    parse_cseq,
    parse_uri,
    parse_via,
    stringify_address,
    stringify_uri,
    stringify_via,
)

__all__ = [
    "Address",
    "CSeq",
    "SipParseError",
    "SipRequest",
    "SipResponse",
    "SipUri",
    "Via",
    "build_response",
    "new_branch",
    "new_tag",
    "parse_address",
    "parse_message",
    "parse_uri",
    "parse_via",
    "stringify_address",
    "stringify_uri",
    "stringify_via",
    "top_branch",
    "user_part",
]

# aiosipua logs a warning for every odd Content-Length; a scanner would turn that into a log
# line per packet. We report refusals ourselves, so only its errors get through.
logging.getLogger("aiosipua").setLevel(logging.ERROR)

MAX_MESSAGE_BYTES = 65_535
_TOKEN = re.compile(r"^[A-Za-z0-9\-.!%*_+`'~]+$")
_REQUEST_LINE = re.compile(r"^([^ ]+) ([^ ]+) SIP/2\.0$", re.IGNORECASE)
_STATUS_LINE = re.compile(r"^SIP/2\.0 ([1-6][0-9]{2})(?: (.*))?$", re.IGNORECASE)
_DISPLAY_TOKENS = re.compile(r"^[A-Za-z0-9\-.!%*_+`'~]+(?:[ \t]+[A-Za-z0-9\-.!%*_+`'~]+)*$")
_REQUIRED = ("via", "from", "to", "call-id", "cseq")
_URI_SCHEMES = ("sip:", "sips:", "tel:")
_SINGLE_HEADERS = ("from", "to", "call-id", "cseq", "max-forwards", "content-length")
MAGIC_COOKIE = "z9hG4bK"

REASONS = {
    100: "Trying",
    180: "Ringing",
    183: "Session Progress",
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    407: "Proxy Authentication Required",
    408: "Request Timeout",
    415: "Unsupported Media Type",
    416: "Unsupported URI Scheme",
    420: "Bad Extension",
    423: "Interval Too Brief",
    480: "Temporarily Unavailable",
    481: "Call/Transaction Does Not Exist",
    482: "Loop Detected",
    483: "Too Many Hops",
    486: "Busy Here",
    487: "Request Terminated",
    488: "Not Acceptable Here",
    491: "Request Pending",
    500: "Server Internal Error",
    501: "Not Implemented",
    503: "Service Unavailable",
    505: "Version Not Supported",
    603: "Decline",
}


class SipParseError(ValueError):
    """The bytes are not a SIP message Careline will act on."""

    def __init__(self, reason: str, *, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


def new_tag() -> str:
    """Return a fresh From/To tag."""
    return secrets.token_hex(6)


def new_branch() -> str:
    """Return a fresh RFC 3261 Via branch (magic cookie prefix)."""
    return MAGIC_COOKIE + secrets.token_hex(8)


def top_branch(message: SipMessage) -> str:
    """Return the branch of the topmost Via, or an empty string."""
    vias = message.headers.get("via")
    if not vias:
        return ""
    return parse_via(vias[0]).branch or ""


def user_part(value: str) -> str:
    """Return the user of a From/To/Request-URI value ("" if none), tel: numbers included.

    Handles user parameters (``sip:+8613800000000;cpc=ordinary@host``), which aiosipua's
    URI parser mistakes for URI parameters.
    """
    text = value.split("<", 1)[1].split(">", 1)[0] if "<" in value else value.split(";", 1)[0]
    scheme, _, rest = text.strip().partition(":")
    if scheme.lower() == "tel":
        return rest.split(";", 1)[0]
    if "@" not in rest:
        return ""
    return rest.rsplit("@", 1)[0].split(";", 1)[0].split(":", 1)[0]


def parse_message(data: bytes) -> SipRequest | SipResponse:
    """Parse and validate one SIP message, or raise SipParseError."""
    if len(data) > MAX_MESSAGE_BYTES:
        raise SipParseError("message too large", status=513)
    head = data.lstrip(b"\r\n")
    first_line = head.split(b"\n", 1)[0].rstrip(b"\r").decode("utf-8", "replace")
    try:
        message = SipMessage.parse(head)
    except (ValueError, IndexError, UnicodeError) as exc:
        raise SipParseError(f"unparsable: {exc}") from None
    if isinstance(message, SipResponse):
        _check_status_line(first_line)
    else:
        _check_request_line(first_line, message)
    _check_headers(message, data)
    return message


def _check_status_line(line: str) -> None:
    if not _STATUS_LINE.match(line):
        raise SipParseError("bad status line")


def _check_request_line(line: str, request: SipRequest) -> None:
    match = _REQUEST_LINE.match(line)
    if not match:
        version = line.rsplit(" ", 1)[-1]
        if version.upper().startswith("SIP/") and version.upper() != "SIP/2.0":
            raise SipParseError("unsupported SIP version", status=505)
        raise SipParseError("bad request line")
    if not _TOKEN.match(request.method):
        raise SipParseError("bad method")
    if request.uri.startswith("<"):
        raise SipParseError("Request-URI in angle brackets")  # RFC 4475 §3.1.2.7
    if not request.uri.lower().startswith(_URI_SCHEMES):
        raise SipParseError("unsupported URI scheme", status=416)
    if request.uri.lower().startswith(("sip:", "sips:")):
        _check_sip_uri(request.uri)


def _check_sip_uri(text: str) -> None:
    rest = text.split(":", 1)[1]
    if not rest or any(ch in rest for ch in ' <>"?') or rest.startswith("@"):
        raise SipParseError("bad Request-URI")  # '?': no headers in a Request-URI (§19.1.5)
    host = rest.rsplit("@", 1)[-1].split(";", 1)[0].split("?", 1)[0]
    if not host or host.startswith(":"):
        raise SipParseError("bad Request-URI host")


def _check_headers(message: SipRequest | SipResponse, raw: bytes) -> None:
    missing = [name for name in _REQUIRED if not message.headers.get(name)]
    if missing:
        raise SipParseError("missing " + ",".join(missing))
    for name in _SINGLE_HEADERS:
        if len(message.headers.get(name)) > 1:
            raise SipParseError(f"repeated {name}")
    cseq = _parse_cseq(message.headers.get_first("cseq") or "")
    if isinstance(message, SipRequest) and cseq.method != message.method:
        raise SipParseError("CSeq method differs from request method")
    for value in message.headers.get("via"):
        via = parse_via(value)
        if not via.host or "".join(via.protocol.split()).upper() != "SIP/2.0":
            raise SipParseError("bad Via")
    for name in ("from", "to"):
        _parse_address_strict(message.headers.get_first(name) or "")
    for contact in message.headers.get("contact"):
        if contact.strip() != "*":
            _parse_address_strict(contact)
    _check_numbers(message)
    _check_body_length(message, raw)


def _parse_cseq(value: str) -> CSeq:
    parts = value.split()
    if len(parts) != 2 or not parts[0].isdigit() or not _TOKEN.match(parts[1]):
        raise SipParseError("bad CSeq")
    cseq = parse_cseq(value)
    if cseq.seq >= 2**31:
        raise SipParseError("CSeq out of range")
    return cseq


def _balanced(value: str) -> bool:
    """Check quotes (with backslash escapes) and angle brackets are closed (§25.1)."""
    quoted = escaped = False
    depth = 0
    for char in value:
        if quoted:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char == "<":
            depth += 1
        elif char == ">":
            depth -= 1
            if depth < 0:
                return False
    return not quoted and depth == 0


def _parse_address_strict(value: str) -> Address:
    if not _balanced(value):
        raise SipParseError("bad address")
    if "<" in value:
        display = value.split("<", 1)[0].strip()
        if display and not display.startswith('"') and not _DISPLAY_TOKENS.match(display):
            raise SipParseError("display name must be tokens or quoted")
    elif "?" in value or "," in value:
        raise SipParseError("addr-spec with headers or commas needs <>")
    try:
        address = parse_address(value)
    except (ValueError, IndexError) as exc:
        raise SipParseError(f"bad address: {exc}") from None
    if not address.uri.host and value.lstrip('"<').lower().startswith(("sip:", "sips:")):
        raise SipParseError("address without host")
    return address


def _check_numbers(message: SipRequest | SipResponse) -> None:
    for name in ("max-forwards", "expires", "content-length"):
        value = message.headers.get_first(name)
        if value is not None and not value.strip().isdigit():
            raise SipParseError(f"bad {name}")
    max_forwards = message.headers.get_first("max-forwards")
    if max_forwards is not None and int(max_forwards) > 255:
        raise SipParseError("bad max-forwards")


def _check_body_length(message: SipRequest | SipResponse, raw: bytes) -> None:
    declared = message.headers.get_first("content-length")
    if declared is None:
        return
    separator = raw.find(b"\r\n\r\n")
    body_start = separator + 4 if separator >= 0 else len(raw)
    if len(raw) - body_start < int(declared):
        raise SipParseError("body shorter than Content-Length")


def build_response(
    request: SipRequest, status: int, *, to_tag: str | None = None, reason: str | None = None
) -> SipResponse:
    """Build a response copying Via, From, To, Call-ID and CSeq (RFC 3261 §8.2.6)."""
    response = SipResponse(status_code=status, reason_phrase=reason or REASONS.get(status, ""))
    for via in request.headers.get("via"):
        response.headers.append("Via", via)
    for name in ("From", "To", "Call-ID", "CSeq"):
        value = request.headers.get_first(name)
        if value is not None:
            response.headers.set_single(name, value)
    to_value = request.headers.get_first("to")
    if to_tag and to_value is not None and ";tag=" not in to_value.replace(" ", "").lower():
        response.headers.set_single("To", f"{to_value};tag={to_tag}")
    return response
