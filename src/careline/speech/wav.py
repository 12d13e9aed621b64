"""WAV reading and writing for prompts: any common PCM/G.711 WAV in, 8 kHz mono int16 out.

espeak-ng writes its WAV to a pipe, so the RIFF and data sizes in its header are
placeholders (0x7ffff000): the reader trusts the bytes present, not the declared size.
"""

from __future__ import annotations

import io
import struct
import wave
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from careline.speech.resample import TELEPHONE_RATE, resample, to_int16

Pcm = npt.NDArray[np.int16]
_PCM, _FLOAT, _ALAW, _ULAW, _EXTENSIBLE = 1, 3, 6, 7, 0xFFFE
_MAX_RATE = 384_000


class InvalidAudio(ValueError):
    """The bytes are not a WAV file Careline can play."""


@dataclass(frozen=True)
class WavFormat:
    """The parts of a ``fmt `` chunk that decoding needs."""

    tag: int
    channels: int
    rate: int
    bits: int


def _ulaw_table() -> npt.NDArray[np.float32]:
    code = ~np.arange(256, dtype=np.int32) & 0xFF
    exponent, mantissa = (code >> 4) & 7, code & 0x0F
    magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84
    return (np.where(code & 0x80, -magnitude, magnitude) / 32768.0).astype(np.float32)


def _alaw_table() -> npt.NDArray[np.float32]:
    code = np.arange(256, dtype=np.int32) ^ 0x55
    exponent, mantissa = (code >> 4) & 7, code & 0x0F
    magnitude = np.where(
        exponent == 0, (mantissa << 4) + 8, ((mantissa << 4) + 0x108) << np.maximum(exponent - 1, 0)
    )
    # In A-law a set sign bit means a positive sample (G.711 table 1).
    return (np.where(code & 0x80, magnitude, -magnitude) / 32768.0).astype(np.float32)


_G711 = {_ULAW: _ulaw_table(), _ALAW: _alaw_table()}


def _parse_format(chunk: bytes) -> WavFormat:
    if len(chunk) < 16:
        raise InvalidAudio("WAV fmt chunk is too short")
    tag, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", chunk)
    if tag == _EXTENSIBLE and len(chunk) >= 26:
        (tag,) = struct.unpack_from("<H", chunk, 24)  # first two bytes of the sub-format GUID
    if not 1 <= channels <= 8 or not 1000 <= rate <= _MAX_RATE:
        raise InvalidAudio(f"unsupported WAV layout: {channels} channels at {rate} Hz")
    return WavFormat(tag, channels, rate, bits)


def _chunks(data: bytes) -> tuple[WavFormat, bytes]:
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise InvalidAudio("not a WAV file (no RIFF/WAVE header)")
    offset, fmt = 12, None
    while offset + 8 <= len(data):
        name, size = data[offset : offset + 4], struct.unpack_from("<I", data, offset + 4)[0]
        body = data[offset + 8 : offset + 8 + size]
        if name == b"fmt ":
            fmt = _parse_format(body)
        elif name == b"data":
            if fmt is None:
                raise InvalidAudio("WAV data chunk comes before its fmt chunk")
            return fmt, body
        offset += 8 + size + (size & 1)
    raise InvalidAudio("WAV file has no fmt or no data chunk")


def _samples(fmt: WavFormat, body: bytes) -> npt.NDArray[np.float32]:
    """Decode interleaved frames to float32 in [-1, 1)."""
    width = {8: 1, 16: 2, 24: 3, 32: 4, 64: 8}.get(fmt.bits)
    if width is None:
        raise InvalidAudio(f"unsupported WAV sample size: {fmt.bits} bits")
    body = body[: len(body) // (width * fmt.channels) * width * fmt.channels]
    raw = np.frombuffer(body, dtype=np.uint8)
    values: npt.NDArray[np.floating[Any]]
    match (fmt.tag, fmt.bits):
        case (1, 8):
            values = (raw.astype(np.float32) - 128) / 128
        case (1, 16):
            values = np.frombuffer(body, "<i2").astype(np.float32) / 32768
        case (1, 24):
            triples = raw.reshape(-1, 3).astype(np.int32)
            joined = triples[:, 0] | (triples[:, 1] << 8) | (triples[:, 2] << 16)
            values = (np.where(joined & 0x800000, joined - (1 << 24), joined) / 2**23).astype(
                np.float32
            )
        case (1, 32):
            values = (np.frombuffer(body, "<i4") / 2**31).astype(np.float32)
        case (3, 32) | (3, 64):
            values = np.frombuffer(body, "<f4" if fmt.bits == 32 else "<f8").astype(np.float32)
        case (6, 8) | (7, 8):
            values = _G711[fmt.tag][raw]
        case _:
            raise InvalidAudio(f"unsupported WAV encoding: format {fmt.tag}, {fmt.bits} bits")
    if not np.all(np.isfinite(values)):
        raise InvalidAudio("WAV file holds non-finite samples")
    return np.asarray(values.reshape(-1, fmt.channels).mean(axis=1), dtype=np.float32)


def read_wav(data: bytes) -> tuple[npt.NDArray[np.float32], int]:
    """Decode WAV bytes to mono float32 samples and their rate; raise InvalidAudio."""
    fmt, body = _chunks(data)
    return _samples(fmt, body), fmt.rate


def wav_to_telephone_pcm(data: bytes) -> Pcm:
    """Decode any supported WAV to 8 kHz mono int16; 8 kHz 16-bit mono passes unchanged."""
    fmt, body = _chunks(data)
    if (fmt.tag, fmt.bits, fmt.channels, fmt.rate) == (_PCM, 16, 1, TELEPHONE_RATE):
        return np.frombuffer(body[: len(body) // 2 * 2], "<i2").astype(np.int16)
    return to_int16(resample(_samples(fmt, body), fmt.rate, TELEPHONE_RATE))


def encode_wav(pcm: Pcm, rate: int = TELEPHONE_RATE) -> bytes:
    """Encode mono int16 samples as a 16-bit PCM WAV file."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(np.asarray(pcm, dtype="<i2").tobytes())
    return buffer.getvalue()
