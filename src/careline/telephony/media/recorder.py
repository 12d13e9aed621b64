"""Recording state without I/O: frames in per tick, a stop reason out."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from careline.telephony.media.g711 import FRAME_SAMPLES, Codec, decode

FRAME_SECONDS = FRAME_SAMPLES / 8000


class Recorder:
    """Collect decoded 20 ms frames until a stop digit, a long silence or the length cap."""

    __slots__ = ("_codec", "_frames", "_max", "_silence_max", "_silent", "stop_digits", "_level")

    def __init__(
        self,
        codec: Codec,
        *,
        max_seconds: float,
        silence_seconds: float,
        stop_digits: str,
        silence_level: float = 256.0,
    ) -> None:
        self._codec = codec
        self._frames: list[npt.NDArray[np.int16]] = []
        self._max = max(int(round(max_seconds / FRAME_SECONDS)), 1)
        self._silence_max = max(int(round(silence_seconds / FRAME_SECONDS)), 1)
        self._silent = 0  # frames of silence at the end so far
        self.stop_digits = stop_digits
        self._level = silence_level**2 * FRAME_SAMPLES  # frame energy below this is silence

    def feed(self, payload: bytes | None) -> str | None:
        """Add one tick's audio (None for a missing packet); return "max" or "silence"."""
        if payload is None or len(payload) != FRAME_SAMPLES:
            frame = np.zeros(FRAME_SAMPLES, dtype=np.int16)
        else:
            frame = decode(self._codec, payload)
        self._frames.append(frame)
        samples = frame.astype(np.float32)
        if float(np.dot(samples, samples)) < self._level:
            self._silent += 1
        else:
            self._silent = 0
        if self._silent >= self._silence_max:
            return "silence"
        if len(self._frames) >= self._max:
            return "max"
        return None

    def pcm(self, ended_by: str) -> npt.NDArray[np.int16]:
        """Return the recording; a recording ended by silence loses that trailing silence."""
        frames = self._frames
        if ended_by == "silence":
            frames = frames[: len(frames) - self._silent]
        if not frames:
            return np.zeros(0, dtype=np.int16)
        return np.concatenate(frames)
