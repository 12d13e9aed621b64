"""Choose an SMS alphabet and split long texts into concatenated segments (3GPP TS 23.040).

GSM 7-bit holds 160 characters, or 153 per segment once a 6-octet concatenation header
(UDH IE 0x00, 8-bit reference) takes its room; UCS-2 holds 70, or 67 per segment. Texts
with any character outside the GSM default alphabet (all Chinese text) go as UCS-2.
Careline sends GSM text unpacked, one septet per octet, as SMPP SMSCs expect with
data_coding 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from careline.channels.errors import MessageTooLong

GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Characters of the extension table, sent as ESC (0x1B) followed by the code.
GSM_EXTENSION = {
    "\f": 0x0A,
    "^": 0x14,
    "{": 0x28,
    "}": 0x29,
    "\\": 0x2F,
    "[": 0x3C,
    "~": 0x3D,
    "]": 0x3E,
    "|": 0x40,
    "€": 0x65,
}
_GSM_INDEX = {char: code for code, char in enumerate(GSM_BASIC) if char != "\x1b"}
_GSM_DECODE = {code: char for char, code in _GSM_INDEX.items()}
_GSM_EXT_DECODE = {code: char for char, code in GSM_EXTENSION.items()}

MAX_SEGMENTS = 10


class Alphabet(IntEnum):
    """Data coding values shared by SMPP (data_coding) and CMPP (msg_fmt)."""

    GSM7 = 0
    UCS2 = 8


@dataclass(frozen=True, slots=True)
class Segment:
    """One short message on the wire: user data, with the concatenation header if any."""

    payload: bytes
    number: int
    total: int

    @property
    def has_udh(self) -> bool:
        """Tell whether the payload starts with a user data header."""
        return self.total > 1


def is_gsm7(text: str) -> bool:
    """Tell whether every character fits the GSM 7-bit default alphabet."""
    return all(char in _GSM_INDEX or char in GSM_EXTENSION for char in text)


def encode_gsm7(text: str) -> bytes:
    """Encode text as unpacked GSM septets, escaping extension characters."""
    out = bytearray()
    for char in text:
        if char in GSM_EXTENSION:
            out += bytes((0x1B, GSM_EXTENSION[char]))
        else:
            out.append(_GSM_INDEX[char])
    return bytes(out)


def decode_gsm7(data: bytes) -> str:
    """Decode unpacked GSM septets; unknown codes become '?'."""
    chars: list[str] = []
    escape = False
    for code in data:
        if escape:
            chars.append(_GSM_EXT_DECODE.get(code, "?"))
            escape = False
        elif code == 0x1B:
            escape = True
        else:
            chars.append(_GSM_DECODE.get(code, "?"))
    return "".join(chars)


def _units(text: str, alphabet: Alphabet) -> list[bytes]:
    # Split into units that must never be cut: a GSM escape pair, a UTF-16 surrogate pair.
    if alphabet is Alphabet.GSM7:
        return [encode_gsm7(char) for char in text]
    return [char.encode("utf-16-be") for char in text]


def _limits(alphabet: Alphabet) -> tuple[int, int]:
    # Octets for one whole message and for one concatenated segment's text.
    return (160, 153) if alphabet is Alphabet.GSM7 else (140, 134)


def split_text(
    text: str, reference: int, *, alphabet: Alphabet | None = None
) -> tuple[Alphabet, list[Segment]]:
    """Encode ``text`` and split it into segments sharing the 8-bit ``reference``."""
    chosen = (
        alphabet if alphabet is not None else (Alphabet.GSM7 if is_gsm7(text) else Alphabet.UCS2)
    )
    units = _units(text, chosen)
    whole, per_segment = _limits(chosen)
    if sum(len(unit) for unit in units) <= whole:
        return chosen, [Segment(b"".join(units), 1, 1)]
    chunks: list[bytes] = []
    current = b""
    for unit in units:
        if len(current) + len(unit) > per_segment:
            chunks.append(current)
            current = b""
        current += unit
    chunks.append(current)
    if len(chunks) > MAX_SEGMENTS:
        raise MessageTooLong("The text is too long for one SMS conversation.")
    total = len(chunks)
    header = bytes((0x05, 0x00, 0x03, reference & 0xFF, total))
    return chosen, [
        Segment(header + bytes((number,)) + chunk, number, total)
        for number, chunk in enumerate(chunks, start=1)
    ]


def count_segments(text: str) -> int:
    """Return how many SMS segments ``text`` takes."""
    return len(split_text(text, 0)[1])


def parse_udh(payload: bytes) -> tuple[int, int, int, bytes] | None:
    """Return (reference, total, number, text) of a concatenated segment, or None."""
    if len(payload) < 6 or payload[0] < 5 or payload[0] + 1 > len(payload):
        return None
    header_length = payload[0]
    position = 1
    while position + 1 < header_length + 1:
        ie_id, ie_length = payload[position], payload[position + 1]
        value = payload[position + 2 : position + 2 + ie_length]
        if ie_id == 0x00 and ie_length == 3 and len(value) == 3:
            return value[0], value[1], value[2], payload[header_length + 1 :]
        if ie_id == 0x08 and ie_length == 4 and len(value) == 4:
            return (value[0] << 8) | value[1], value[2], value[3], payload[header_length + 1 :]
        position += 2 + ie_length
    return None


def decode_payload(payload: bytes, alphabet: int, *, udhi: bool) -> str:
    """Decode one received short message's text, dropping its UDH when flagged."""
    if udhi:
        parsed = parse_udh(payload)
        payload = parsed[3] if parsed else payload
    if alphabet == Alphabet.UCS2:
        return payload.decode("utf-16-be", errors="replace")
    if alphabet == Alphabet.GSM7:
        return decode_gsm7(payload)
    # msg_fmt 15 is GBK in CMPP; 4 is binary, 3 and others are treated as Latin-1.
    if alphabet == 15:
        return payload.decode("gbk", errors="replace")
    return payload.decode("latin-1")
