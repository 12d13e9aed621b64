"""SDP offer/answer for one audio stream (RFC 4566, RFC 3264, RFC 4733 §7).

Careline speaks G.711 only (PCMA, PCMU) plus telephone-event. The answer keeps the
offerer's payload type for telephone-event: aiosipua's answerer always writes 101, so a
phone that offered 96 sends digits Careline would not recognise (reported upstream; this
module is the replacement). Hold is read from the direction attribute or a 0.0.0.0
connection address (RFC 3264 §8.4, RFC 2543 style).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from careline.telephony.sip.message import SipParseError

STATIC_PAYLOADS = {0: "PCMU", 8: "PCMA"}
SUPPORTED_CODECS = ("PCMA", "PCMU")
_DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")
_REVERSE = {"sendrecv": "sendrecv", "sendonly": "recvonly", "recvonly": "sendonly"}
_session_ids = itertools.count(1)


class SdpError(SipParseError):
    """The SDP is unusable or has nothing in common with ours (answer 488)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, status=488)


@dataclass
class AudioOffer:
    """The parts of a session description Careline uses."""

    host: str
    port: int
    formats: list[int]
    rtpmap: dict[int, str] = field(default_factory=dict)
    direction: str = "sendrecv"

    def encoding(self, payload_type: int) -> str:
        """Return the upper-case encoding name of a payload type, or an empty string."""
        name = self.rtpmap.get(payload_type) or STATIC_PAYLOADS.get(payload_type, "")
        return name.split("/", 1)[0].upper()

    @property
    def on_hold(self) -> bool:
        """Return True when the peer asks us not to send (hold)."""
        return self.direction in ("sendonly", "inactive") or self.host == "0.0.0.0"


@dataclass(frozen=True)
class Negotiated:
    """What both sides agreed: the media engine's configure() arguments plus direction."""

    remote: tuple[str, int]
    codec: str
    payload_type: int
    dtmf_payload_type: int | None
    direction: str


class _Reader:
    """Line-by-line state while reading the first audio stream."""

    def __init__(self) -> None:
        self.session_host = ""
        self.session_direction = "sendrecv"
        self.media_host = ""
        self.audio: AudioOffer | None = None
        self.skipping = False  # inside a non-audio m= section

    def take(self, kind: str, value: str) -> bool:
        """Read one line; return True when the audio stream is complete."""
        if kind == "m":
            if self.audio is not None:
                return True
            self.audio, self.skipping = _parse_media_line(value)
        elif self.skipping:
            pass
        elif kind == "c":
            host = _parse_connection(value)
            if self.audio is None:
                self.session_host = host
            else:
                self.media_host = host
        elif kind == "a":
            self.session_direction = _apply_attribute(self.audio, value, self.session_direction)
        return False

    def finish(self) -> AudioOffer:
        if self.audio is None:
            raise SdpError("no audio stream")
        self.audio.host = self.media_host or self.session_host
        if not self.audio.host:
            raise SdpError("no connection address")
        if self.audio.direction == "":
            self.audio.direction = self.session_direction
        return self.audio


def parse_sdp(text: str) -> AudioOffer:
    """Read the first audio stream of a session description, or raise SdpError."""
    reader = _Reader()
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if len(line) >= 2 and line[1] == "=" and reader.take(line[0], line[2:]):
            break
    return reader.finish()


def _parse_media_line(value: str) -> tuple[AudioOffer | None, bool]:
    parts = value.split()
    if len(parts) < 4 or parts[0] != "audio":
        return None, True
    if not parts[1].split("/", 1)[0].isdigit() or not all(p.isdigit() for p in parts[3:]):
        raise SdpError("bad m= line")
    return AudioOffer(
        "", int(parts[1].split("/", 1)[0]), [int(p) for p in parts[3:]], {}, ""
    ), False


def _parse_connection(value: str) -> str:
    parts = value.split()
    if len(parts) != 3 or parts[0] != "IN" or parts[1] not in ("IP4", "IP6"):
        raise SdpError("bad c= line")
    return parts[2].split("/", 1)[0]


def _apply_attribute(audio: AudioOffer | None, value: str, session_direction: str) -> str:
    if value in _DIRECTIONS:
        if audio is None:
            return value
        audio.direction = value
        return session_direction
    if audio is not None and value.startswith("rtpmap:"):
        number, _, encoding = value[7:].partition(" ")
        if number.isdigit():
            audio.rtpmap[int(number)] = encoding.strip()
    return session_direction


def negotiate(offer: AudioOffer, preferred: tuple[str, ...] = SUPPORTED_CODECS) -> Negotiated:
    """Choose the offerer's first G.711 codec we support and its telephone-event type."""
    codec_pt = next((pt for pt in offer.formats if offer.encoding(pt) in preferred), None)
    if codec_pt is None:
        raise SdpError("no common codec")
    dtmf_pt = next(
        (
            pt
            for pt in offer.formats
            if offer.encoding(pt) == "TELEPHONE-EVENT"
            and offer.rtpmap.get(pt, "").split("/")[1:2] in (["8000"], [])
        ),
        None,
    )
    direction = _REVERSE.get(offer.direction, "inactive")
    if offer.host == "0.0.0.0":
        direction = "inactive"
    return Negotiated(
        (offer.host, offer.port), offer.encoding(codec_pt), codec_pt, dtmf_pt, direction
    )


@dataclass
class SessionDescription:
    """Our side of a session; the version goes up each time it changes (RFC 3264 §8)."""

    host: str
    port: int
    session_id: int = field(default_factory=lambda: next(_session_ids))
    version: int = 1

    def render(
        self,
        codecs: list[tuple[int, str]],
        dtmf_payload_type: int | None,
        direction: str = "sendrecv",
    ) -> str:
        """Return the SDP text for the given (payload type, name) list."""
        formats = [pt for pt, _ in codecs]
        if dtmf_payload_type is not None:
            formats.append(dtmf_payload_type)
        lines = [
            "v=0",
            f"o=careline {self.session_id} {self.version} IN IP4 {self.host}",
            "s=Careline",
            f"c=IN IP4 {self.host}",
            "t=0 0",
            f"m=audio {self.port} RTP/AVP {' '.join(str(pt) for pt in formats)}",
        ]
        lines += [f"a=rtpmap:{pt} {name}/8000" for pt, name in codecs]
        if dtmf_payload_type is not None:
            lines.append(f"a=rtpmap:{dtmf_payload_type} telephone-event/8000")
            lines.append(f"a=fmtp:{dtmf_payload_type} 0-15")
        lines += ["a=ptime:20", f"a={direction}"]
        return "\r\n".join(lines) + "\r\n"

    def offer(self, *, direction: str = "sendrecv", dtmf_payload_type: int = 101) -> str:
        """Return an offer of PCMA, PCMU and telephone-event."""
        return self.render([(8, "PCMA"), (0, "PCMU")], dtmf_payload_type, direction)

    def answer(self, agreed: Negotiated) -> str:
        """Return the answer to an offer, echoing its payload types."""
        return self.render(
            [(agreed.payload_type, agreed.codec)], agreed.dtmf_payload_type, agreed.direction
        )

    def bump(self) -> None:
        """Mark the session as changed before sending a new description."""
        self.version += 1


def answer_from_offerer(answer: AudioOffer) -> Negotiated:
    """Read the answer to our offer: the first format it kept is what we send."""
    return negotiate(answer)


__all__ = [
    "AudioOffer",
    "Negotiated",
    "SdpError",
    "SessionDescription",
    "answer_from_offerer",
    "negotiate",
    "parse_sdp",
]
