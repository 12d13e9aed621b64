"""G.711 µ-law and A-law (ITU-T G.711) as numpy lookup tables built once at import.

The tables follow the ITU-T reference algorithm (as in the well-known Sun ``g711.c``):
µ-law works on 14-bit magnitudes with a bias of 33, A-law on 13-bit magnitudes with the
even bits inverted (XOR 0x55). In A-law a set sign bit means a *positive* sample; getting
that backwards inverts the polarity of every PCMA call, so the tests pin it to reference
values.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
import numpy.typing as npt

FRAME_SAMPLES = 160  # 20 ms at 8 kHz, the packetisation Careline sends and expects


class Codec(StrEnum):
    """The two G.711 codecs, named as in SDP (RFC 3551 static payload types 0 and 8)."""

    PCMU = "PCMU"
    PCMA = "PCMA"

    @property
    def static_payload_type(self) -> int:
        """Return the RFC 3551 static payload type."""
        return 0 if self is Codec.PCMU else 8

    @property
    def silence_byte(self) -> int:
        """Return the code word for a zero sample."""
        return 0xFF if self is Codec.PCMU else 0xD5


def _ulaw_decode_table() -> npt.NDArray[np.int16]:
    codes = ~np.arange(256, dtype=np.int32) & 0xFF
    t = ((codes & 0x0F) << 3) + 0x84
    t <<= (codes & 0x70) >> 4
    return np.where(codes & 0x80, 0x84 - t, t - 0x84).astype(np.int16)


def _alaw_decode_table() -> npt.NDArray[np.int16]:
    codes = np.arange(256, dtype=np.int32) ^ 0x55
    seg = (codes & 0x70) >> 4
    t = (codes & 0x0F) << 4
    t = np.where(seg == 0, t + 8, t + 0x108)
    t = np.where(seg > 1, t << np.maximum(seg - 1, 0), t)
    return np.where(codes & 0x80, t, -t).astype(np.int16)


def _segment(magnitude: npt.NDArray[np.int32], ends: list[int]) -> npt.NDArray[np.int32]:
    return np.searchsorted(np.array(ends), magnitude, side="left").astype(np.int32)


def _ulaw_encode_table() -> npt.NDArray[np.uint8]:
    pcm = np.arange(-32768, 32768, dtype=np.int32) >> 2
    mask = np.where(pcm < 0, 0x7F, 0xFF)
    mag = np.minimum(np.abs(pcm), 8159) + 33
    seg = _segment(mag, [0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF])
    code = np.where(seg >= 8, 0x7F, (seg << 4) | ((mag >> (seg + 1)) & 0x0F))
    by_value = (code ^ mask).astype(np.uint8)
    return np.roll(by_value, -32768)  # index by the int16 viewed as uint16


def _alaw_encode_table() -> npt.NDArray[np.uint8]:
    pcm = np.arange(-32768, 32768, dtype=np.int32) >> 3
    mask = np.where(pcm >= 0, 0xD5, 0x55)
    mag = np.where(pcm >= 0, pcm, -pcm - 1)
    seg = _segment(mag, [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF])
    shift = np.where(seg < 2, 1, seg)
    code = np.where(seg >= 8, 0x7F, (seg << 4) | ((mag >> shift) & 0x0F))
    by_value = (code ^ mask).astype(np.uint8)
    return np.roll(by_value, -32768)


ULAW_DECODE = _ulaw_decode_table()
ALAW_DECODE = _alaw_decode_table()
ULAW_ENCODE = _ulaw_encode_table()
ALAW_ENCODE = _alaw_encode_table()

ALAW_TO_ULAW = ULAW_ENCODE[ALAW_DECODE.view(np.uint16)].tobytes()
ULAW_TO_ALAW = ALAW_ENCODE[ULAW_DECODE.view(np.uint16)].tobytes()


def encode(codec: Codec, pcm: npt.NDArray[np.int16]) -> bytes:
    """Encode 16-bit linear PCM to G.711 bytes."""
    table = ULAW_ENCODE if codec is Codec.PCMU else ALAW_ENCODE
    samples = np.ascontiguousarray(pcm, dtype=np.int16)
    return table[samples.view(np.uint16)].tobytes()


def decode(codec: Codec, data: bytes) -> npt.NDArray[np.int16]:
    """Decode G.711 bytes to 16-bit linear PCM."""
    table = ULAW_DECODE if codec is Codec.PCMU else ALAW_DECODE
    return table[np.frombuffer(data, dtype=np.uint8)]


def transcode(source: Codec, target: Codec, data: bytes) -> bytes:
    """Convert G.711 bytes between the two laws without going through numpy."""
    if source is target:
        return data
    return data.translate(ALAW_TO_ULAW if source is Codec.PCMA else ULAW_TO_ALAW)
