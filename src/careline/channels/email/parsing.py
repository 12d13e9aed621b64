"""Parse received mail with the standard library (policy=default) into what Careline keeps.

A message is never dropped here: one that cannot be read is returned as malformed with a
reason, and an attachment over the size limit is refused by itself while the message and
its other parts are kept.
"""

from __future__ import annotations

import email
import email.errors
from dataclasses import dataclass, field, replace
from email.message import EmailMessage
from email.policy import default
from email.utils import getaddresses

from careline.channels.model import find_ticket_token
from careline.channels.ports import ReceivedAttachment

DEFAULT_MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
# Defects that mean the structure is broken, so parts may be missing or run together.
_FATAL_DEFECTS = (
    email.errors.NoBoundaryInMultipartDefect,
    email.errors.StartBoundaryNotFoundDefect,
    email.errors.CloseBoundaryNotFoundDefect,
    email.errors.MultipartInvariantViolationDefect,
    email.errors.MissingHeaderBodySeparatorDefect,
)


@dataclass(frozen=True, slots=True)
class ParsedEmail:
    """The parts of a received email Careline stores; ``malformed`` holds the reason if any."""

    mail_from: str = ""
    recipients: tuple[str, ...] = ()
    subject: str = ""
    text: str = ""
    message_id: str | None = None
    in_reply_to: str | None = None
    ticket_token: str | None = None
    attachments: tuple[ReceivedAttachment, ...] = field(default_factory=tuple)
    malformed: str | None = None


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name)
    except (ValueError, IndexError, TypeError):
        return ""
    return "" if value is None else str(value).strip()


def _fatal_defect(message: EmailMessage) -> str | None:
    for part in message.walk():
        for defect in part.defects:
            if isinstance(defect, _FATAL_DEFECTS):
                return f"broken MIME structure: {type(defect).__name__}"
    return None


def _attachment(part: EmailMessage, max_bytes: int) -> ReceivedAttachment:
    filename = part.get_filename() or "attachment"
    content_type = part.get_content_type()
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    if len(data) > max_bytes:
        return ReceivedAttachment(
            filename, content_type, len(data), None, f"larger than the limit of {max_bytes} bytes"
        )
    return ReceivedAttachment(filename, content_type, len(data), data)


def _body_text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    content = body.get_content()
    return content if isinstance(content, str) else ""


def parse_email(
    raw: bytes, *, max_attachment_bytes: int = DEFAULT_MAX_ATTACHMENT_BYTES
) -> ParsedEmail:
    """Parse ``raw`` RFC 5322 bytes; never raise, report what could not be read instead."""
    if not raw.strip():
        return ParsedEmail(malformed="the message is empty")
    message = email.message_from_bytes(raw, _class=EmailMessage, policy=default)
    mail_from = _header(message, "From")
    addresses = [address for _, address in getaddresses([mail_from]) if "@" in address]
    subject = _header(message, "Subject")
    recipients = tuple(
        address
        for _, address in getaddresses([_header(message, "To"), _header(message, "Cc")])
        if address
    )
    base = ParsedEmail(
        mail_from=addresses[0] if addresses else mail_from,
        recipients=recipients,
        subject=subject,
        message_id=_header(message, "Message-ID") or None,
        in_reply_to=_header(message, "In-Reply-To") or None,
        ticket_token=find_ticket_token(subject),
    )
    problem = _fatal_defect(message)
    if problem is None and not addresses:
        problem = "the message has no sender address"
    if problem is not None:
        return replace(base, malformed=problem)
    try:
        text = _body_text(message)
        attachments = tuple(
            _attachment(part, max_attachment_bytes) for part in message.iter_attachments()
        )
    except (LookupError, ValueError, UnicodeError, AttributeError) as exc:
        return replace(base, malformed=f"the body cannot be decoded: {type(exc).__name__}")
    return replace(base, text=text, attachments=attachments)
