"""What a stream core reports to its shell after a tick or a datagram."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True, slots=True)
class DigitReceived:
    """A key press, reported once, from RFC 4733 or from in-band tones."""

    digit: str
    source: str  # "rfc4733" | "inband"


@dataclass(frozen=True, slots=True)
class PlaybackFinished:
    """Playback ``token`` ended; ``interrupted_by`` is the barge-in key, if any."""

    token: int
    interrupted_by: str | None


@dataclass(frozen=True, slots=True)
class RecordingFinished:
    """A recording stopped; ``pcm`` is the audio to write."""

    ended_by: str
    pcm: npt.NDArray[np.int16]


@dataclass(frozen=True, slots=True)
class StreamClosed:
    """The stream ended; reason is "rtp_timeout" or "closed"."""

    reason: str


MediaEvent = DigitReceived | PlaybackFinished | RecordingFinished | StreamClosed
