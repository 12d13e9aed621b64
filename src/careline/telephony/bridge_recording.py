"""Record a bridged call: both directions of the relayed RTP mixed into one WAV.

While two legs are bridged the media engine relays packets without decoding them, so the
stream's own recorder hears nothing. This taps what each leg relays (``tap_relay``: the
packet already rewritten for the other leg), decodes the G.711 payload and places it on
one timeline by arrival time, so the two voices are mixed as the parties heard them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt

from careline.telephony.media import MediaStream
from careline.telephony.media.g711 import Codec, decode
from careline.telephony.media.prompt import SAMPLE_RATE, write_wav

_PAYLOAD_TYPES = {0: Codec.PCMU, 8: Codec.PCMA}
MAX_SECONDS = 4 * 3600
_GAP = SAMPLE_RATE // 10  # 100 ms behind the clock counts as a pause
Chunks = list[tuple[float, npt.NDArray[np.int16]]]


def audio_of(packet: bytes) -> npt.NDArray[np.int16] | None:
    """Decode the G.711 audio of an RTP packet; None for telephone-events and others."""
    if len(packet) <= 12:
        return None
    codec = _PAYLOAD_TYPES.get(packet[1] & 0x7F)
    return None if codec is None else decode(codec, packet[12:])


class BridgeRecorder:
    """Collect what each bridged leg sends the other until ``stop``."""

    def __init__(self, a: MediaStream, b: MediaStream, *, now: Callable[[], float] | None = None):
        self._now = now or time.monotonic
        self._started = self._now()
        self._chunks: tuple[Chunks, Chunks] = ([], [])
        self._untaps = [
            a.tap_relay(lambda packet: self._take(0, packet)),
            b.tap_relay(lambda packet: self._take(1, packet)),
        ]

    def _take(self, side: int, packet: bytes) -> None:
        pcm = audio_of(packet)
        if pcm is None:  # a telephone-event, not audio
            return
        at = self._now() - self._started
        if at < MAX_SECONDS:
            self._chunks[side].append((at, pcm))

    def stop(self) -> npt.NDArray[np.int16]:
        """Stop tapping and return the mixed 8 kHz audio."""
        for untap in self._untaps:
            untap()
        self._untaps = []
        return mix(*self._chunks)

    async def save(self, path: Path) -> float:
        """Stop, write the WAV and return its length in seconds."""
        import asyncio

        pcm = self.stop()
        path.parent.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(write_wav, path, pcm)
        return len(pcm) / SAMPLE_RATE


def _timeline(chunks: Chunks) -> npt.NDArray[np.int32]:
    """One direction's audio: packets back to back, silence where arrivals paused."""
    parts: list[npt.NDArray[np.int32]] = []
    cursor = 0
    for at, pcm in chunks:
        start = int(at * SAMPLE_RATE)
        if start - cursor > _GAP:  # a real pause (hold, lost packets), not jitter
            parts.append(np.zeros(start - cursor, dtype=np.int32))
            cursor = start
        parts.append(pcm.astype(np.int32))
        cursor += len(pcm)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)


def mix(*directions: Chunks) -> npt.NDArray[np.int16]:
    """Sum each direction's timeline into one mono track, clipped to 16 bits."""
    lines = [_timeline(chunks) for chunks in directions]
    line = np.zeros(max((len(x) for x in lines), default=0), dtype=np.int32)
    for one in lines:
        line[: len(one)] += one
    clipped: npt.NDArray[np.int16] = np.clip(line, -32768, 32767).astype(np.int16)
    return clipped
