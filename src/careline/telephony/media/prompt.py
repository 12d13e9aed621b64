"""Audio to play (8 kHz mono 16-bit PCM, encoded to G.711 once per codec) and results."""

from __future__ import annotations

import wave
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from careline.telephony.media.g711 import Codec, encode

SAMPLE_RATE = 8000


@dataclass(frozen=True, eq=False)  # compared by identity: numpy arrays have no plain ==
class Prompt:
    """A prompt as 8 kHz mono int16 samples; ``encoded`` caches the G.711 bytes per codec."""

    pcm: npt.NDArray[np.int16]
    name: str = ""
    _cache: dict[Codec, bytes] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    @classmethod
    def from_wav(cls, path: Path) -> Prompt:
        """Load an 8 kHz mono 16-bit WAV file; raise ValueError for any other format."""
        try:
            with wave.open(str(path), "rb") as wav:
                if (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) != (
                    SAMPLE_RATE,
                    1,
                    2,
                ):
                    raise ValueError(f"{path.name}: need 8 kHz mono 16-bit PCM")
                data = wav.readframes(wav.getnframes())
        except wave.Error as error:
            raise ValueError(f"{path.name}: not a PCM WAV file ({error})") from error
        pcm = np.frombuffer(data, dtype="<i2").astype(np.int16)
        return cls(pcm=pcm, name=path.stem)

    @classmethod
    def silence(cls, seconds: float) -> Prompt:
        """Return a prompt of digital silence."""
        return cls(pcm=np.zeros(int(round(seconds * SAMPLE_RATE)), dtype=np.int16), name="silence")

    def encoded(self, codec: Codec) -> bytes:
        """Return the G.711 bytes, encoding only the first time per codec."""
        data = self._cache.get(codec)
        if data is None:
            data = encode(codec, self.pcm)
            self._cache[codec] = data
        return data

    @property
    def duration(self) -> float:
        """Return the length in seconds."""
        return len(self.pcm) / SAMPLE_RATE


@dataclass(frozen=True)
class RecordingResult:
    """What ``MediaStream.record`` wrote and why it stopped."""

    path: Path
    seconds: float
    ended_by: str  # "digit" | "silence" | "max" | "hangup"


def write_wav(path: Path, pcm: npt.NDArray[np.int16]) -> None:
    """Write 8 kHz mono 16-bit PCM to a WAV file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(pcm.astype("<i2").tobytes())
