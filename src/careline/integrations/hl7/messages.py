"""HL7 v2 messages: read fields with the ``hl7`` library, write ACK and SIU messages.

Field positions are 1-based as in the standard (``PID-3.1`` is ``value("PID", 3, comp=1)``).
Timestamps without an offset are read in the hospital's zone, as HIS systems send them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo

import hl7  # type: ignore[import-untyped]

VERSION = "2.5"
_ESCAPES = (("\\", "\\E\\"), ("|", "\\F\\"), ("^", "\\S\\"), ("&", "\\T\\"), ("~", "\\R\\"))


class Hl7Problem(Exception):
    """A message Careline answers with AE (application error) or AR (reject)."""

    def __init__(self, ack_code: str, error_code: str, message: str) -> None:
        super().__init__(message)
        self.ack_code = ack_code
        self.error_code = error_code
        self.message = message


def rejected(error_code: str, message: str) -> Hl7Problem:
    """Return an AR problem (the message itself is unacceptable)."""
    return Hl7Problem("AR", error_code, message)


def app_error(error_code: str, message: str) -> Hl7Problem:
    """Return an AE problem (well formed, but Careline could not apply it)."""
    return Hl7Problem("AE", error_code, message)


# HL7 table 0357 (message error condition codes) used by Careline.
REQUIRED_FIELD_MISSING = "101"
DATA_TYPE_ERROR = "102"
UNSUPPORTED_MESSAGE_TYPE = "200"
UNSUPPORTED_EVENT = "201"
UNSUPPORTED_PROCESSING_ID = "202"
UNKNOWN_KEY = "204"
DUPLICATE_KEY = "205"
INTERNAL_ERROR = "207"
ERROR_TEXT = {
    "100": "Segment sequence error",
    REQUIRED_FIELD_MISSING: "Required field missing",
    DATA_TYPE_ERROR: "Data type error",
    UNSUPPORTED_MESSAGE_TYPE: "Unsupported message type",
    UNSUPPORTED_EVENT: "Unsupported event code",
    UNSUPPORTED_PROCESSING_ID: "Unsupported processing id",
    UNKNOWN_KEY: "Unknown key identifier",
    DUPLICATE_KEY: "Duplicate key identifier",
    INTERNAL_ERROR: "Application internal error",
}


@dataclass(frozen=True, slots=True)
class Header:
    sending_application: str
    sending_facility: str
    message_type: str
    trigger: str
    control_id: str
    processing_id: str
    version: str

    @property
    def sender(self) -> str:
        return f"{self.sending_application}^{self.sending_facility}"

    @property
    def kind(self) -> str:
        return f"{self.message_type}^{self.trigger}"


def escape(text: str) -> str:
    """Escape HL7 delimiters in a text value."""
    for raw, escaped in _ESCAPES:
        text = text.replace(raw, escaped)
    return text.replace("\r", " ").replace("\n", " ")


def _unescape(text: str) -> str:
    for raw, escaped in reversed(_ESCAPES):
        text = text.replace(escaped, raw)
    return text


class Hl7Message:
    """A parsed inbound message; absent fields read as empty strings."""

    def __init__(self, text: str) -> None:
        text = text.replace("\r\n", "\r").replace("\n", "\r").strip("\r")
        if not text.startswith("MSH"):
            raise rejected("100", "The message does not start with an MSH segment.")
        try:
            self._msg = hl7.parse(text)
        except (hl7.ParseException, IndexError, ValueError) as exc:
            raise rejected("100", "The message could not be parsed.") from exc
        self.header = self._header()

    def _header(self) -> Header:
        header = Header(
            sending_application=self.value("MSH", 3),
            sending_facility=self.value("MSH", 4),
            message_type=self.value("MSH", 9, comp=1),
            trigger=self.value("MSH", 9, comp=2),
            control_id=self.value("MSH", 10),
            processing_id=self.value("MSH", 11, comp=1),
            version=self.value("MSH", 12, comp=1),
        )
        if not header.control_id:
            raise rejected(REQUIRED_FIELD_MISSING, "MSH-10 (message control id) is empty.")
        if not header.message_type:
            raise rejected(REQUIRED_FIELD_MISSING, "MSH-9 (message type) is incomplete.")
        return header

    def has(self, segment: str) -> bool:
        """Tell whether the message has this segment."""
        return any(str(s[0]) == segment for s in self._msg)

    def value(self, segment: str, field: int, *, rep: int = 1, comp: int = 1) -> str:
        """Return one component of one repetition of a field, unescaped; "" when absent."""
        try:
            found = self._msg.extract_field(segment, 1, field, rep, comp, 1)
        except (IndexError, KeyError):
            return ""
        return _unescape(str(found)).strip()

    def repetitions(self, segment: str, field: int) -> int:
        """Return how many repetitions a field has (0 when empty or absent)."""
        try:
            raw = str(self._msg.segment(segment)[field])
        except (IndexError, KeyError):
            return 0
        return len(raw.split("~")) if raw else 0


def parse_ts(text: str, zone: tzinfo) -> datetime:
    """Read an HL7 DTM (YYYYMMDD[HHMM[SS[.S]]][+/-ZZZZ])."""
    digits, offset = text, ""
    for sign in "+-":
        if sign in text[8:]:
            cut = text.rindex(sign)
            digits, offset = text[:cut], text[cut:]
    digits = digits.split(".")[0].ljust(14, "0")
    try:
        moment = datetime.strptime(digits[:14], "%Y%m%d%H%M%S")
        if offset:
            return datetime.strptime(f"{digits[:14]}{offset}", "%Y%m%d%H%M%S%z")
    except ValueError as exc:
        raise app_error(DATA_TYPE_ERROR, "A date or time is not in HL7 format.") from exc
    return moment.replace(tzinfo=zone)


def parse_date(text: str) -> date | None:
    """Read an HL7 date (YYYYMMDD); "" gives None."""
    if not text:
        return None
    try:
        return datetime.strptime(text[:8], "%Y%m%d").date()
    except ValueError as exc:
        raise app_error(DATA_TYPE_ERROR, "A birth date is not in HL7 format.") from exc


def format_ts(moment: datetime, zone: tzinfo) -> str:
    """Write a DTM in the hospital's zone with its offset."""
    return moment.astimezone(zone).strftime("%Y%m%d%H%M%S%z")


def msh(
    *,
    application: str,
    facility: str,
    receiver: tuple[str, str],
    kind: str,
    control_id: str,
    now: datetime,
    zone: tzinfo,
) -> str:
    """Return an MSH segment from Careline."""
    fields = [
        "MSH",
        "^~\\&",
        escape(application),
        escape(facility),
        receiver[0],
        receiver[1],
        format_ts(now, zone),
        "",
        kind,
        escape(control_id),
        "P",
        VERSION,
    ]
    return "|".join(fields)


def build_ack(
    header: Header | None,
    *,
    code: str,
    control_id: str,
    now: datetime,
    zone: tzinfo,
    application: str,
    facility: str,
    problem: Hl7Problem | None = None,
) -> str:
    """Return an ACK (MSA-1 AA/AE/AR, MSA-2 the acknowledged control id, ERR when refused)."""
    receiver = (
        (escape(header.sending_application), escape(header.sending_facility))
        if header
        else ("", "")
    )
    trigger = escape(header.trigger) if header else ""
    segments = [
        msh(
            application=application,
            facility=facility,
            receiver=receiver,
            kind=f"ACK^{trigger}^ACK",
            control_id=control_id,
            now=now,
            zone=zone,
        ),
        f"MSA|{code}|{escape(header.control_id) if header else ''}",
    ]
    if problem is not None:
        text = ERROR_TEXT.get(problem.error_code, "")
        segments.append(
            f"ERR||MSH^1|{problem.error_code}^{text}^HL70357|E||||{escape(problem.message)}"
        )
    return "\r".join(segments) + "\r"


def ack_code_of(text: str) -> tuple[str, str]:
    """Return (MSA-1, ERR-8 or "") of an acknowledgement."""
    message = Hl7Message(text)
    return message.value("MSA", 1), message.value("ERR", 8)
