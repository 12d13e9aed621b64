"""In-band DTMF detection for every listening stream at once, once per 20 ms tick.

Goertzel's algorithm computes one DFT bin per tone; over a fixed 160-sample frame that bin
is the dot product of the frame with a cosine and a sine at the tone's frequency, so the
eight DTMF bins of N streams are one (N, 160) x (160, 16) matrix product. Per frame the
usual checks apply (after ITU-T Q.24 and common practice): each tone strong enough, the
strongest row and column tone clearly above the others of their group, twist within limits,
and the two tones carrying most of the frame's energy (speech and noise spread theirs).
A ``ToneDebouncer`` per stream then asks for two frames in a row (40 ms) before reporting
a key and two frames of silence before the same key counts again.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from careline.telephony.media.g711 import ALAW_DECODE, FRAME_SAMPLES, ULAW_DECODE, Codec

ROW_HZ = (697.0, 770.0, 852.0, 941.0)
COL_HZ = (1209.0, 1336.0, 1477.0, 1633.0)
KEYPAD = "123A456B789C*0#D"  # row-major: row index * 4 + column index
# Products this small stay on OpenBLAS's single-threaded path; one big product would wake
# its worker threads, which spin on the cores the event loops need (measured: 7 ms instead
# of 0.2 ms per tick for 1200 streams on 2 busy cores).
_BLOCK_ROWS = 64
ULAW_DECODE_F32 = ULAW_DECODE.astype(np.float32)
ALAW_DECODE_F32 = ALAW_DECODE.astype(np.float32)


def _basis() -> npt.NDArray[np.float32]:
    n = np.arange(FRAME_SAMPLES)
    freqs = np.array(ROW_HZ + COL_HZ)
    angles = 2.0 * np.pi * np.outer(n, freqs) / 8000.0
    return np.hstack([np.cos(angles), np.sin(angles)]).astype(np.float32)


class DtmfDetector:
    """Classify G.711 frames of many streams at once; thresholds are per-sample powers."""

    def __init__(
        self,
        *,
        min_tone_amplitude: float = 250.0,
        normal_twist_db: float = 8.0,
        reverse_twist_db: float = 4.0,
        relative_peak_db: float = 6.0,
        tone_energy_ratio: float = 0.6,
    ) -> None:
        self._basis = _basis()
        self._min_bin = (min_tone_amplitude * FRAME_SAMPLES / 2.0) ** 2
        self._normal_twist = 10.0 ** (normal_twist_db / 10.0)
        self._reverse_twist = 10.0 ** (reverse_twist_db / 10.0)
        self._relative_peak = 10.0 ** (relative_peak_db / 10.0)
        self._ratio = tone_energy_ratio * FRAME_SAMPLES / 2.0

    def classify(self, frames: npt.NDArray[np.uint8], codec: Codec) -> npt.NDArray[np.int64]:
        """Return, per row of G.711 ``frames`` of one codec, the keypad index or -1."""
        table = ULAW_DECODE_F32 if codec is Codec.PCMU else ALAW_DECODE_F32
        return self.classify_pcm(np.take(table, frames))

    def classify_pcm(self, pcm: npt.NDArray[np.float32]) -> npt.NDArray[np.int64]:
        """Return, per row of 160 linear samples, the keypad index 0-15 or -1."""
        projections = np.empty((len(pcm), 16), dtype=np.float32)
        for start in range(0, len(pcm), _BLOCK_ROWS):
            stop = start + _BLOCK_ROWS
            np.matmul(pcm[start:stop], self._basis, out=projections[start:stop])
        bins = projections[:, :8] ** 2 + projections[:, 8:] ** 2
        energy = np.einsum("ij,ij->i", pcm, pcm)
        rows = np.sort(bins[:, :4], axis=1)
        cols = np.sort(bins[:, 4:], axis=1)
        row_power, col_power = rows[:, 3], cols[:, 3]
        # A sinusoid of amplitude A gives a bin of (A*N/2)^2 and a frame energy of A^2*N/2.
        ok = np.minimum(row_power, col_power) >= self._min_bin
        ok &= col_power <= row_power * self._normal_twist
        ok &= row_power <= col_power * self._reverse_twist
        ok &= row_power >= rows[:, 2] * self._relative_peak
        ok &= col_power >= cols[:, 2] * self._relative_peak
        ok &= row_power + col_power >= energy * self._ratio
        result = np.full(len(pcm), -1, dtype=np.int64)
        hits = np.flatnonzero(ok)
        if len(hits):
            result[hits] = bins[hits, :4].argmax(axis=1) * 4 + bins[hits, 4:].argmax(axis=1)
        return result


def key_for(index: int) -> str:
    """Return the key for a keypad index from ``classify``."""
    return KEYPAD[index]


class ToneDebouncer:
    """Report a key after two detecting frames; re-arm after two frames without it."""

    __slots__ = ("_candidate", "_hits", "_down", "_misses")

    def __init__(self) -> None:
        self._candidate = ""
        self._hits = 0
        self._down = ""  # the key already reported for the press in progress
        self._misses = 0

    @property
    def idle(self) -> bool:
        """Return True when a frame without a key would change nothing."""
        return not self._candidate and not self._down

    def feed(self, key: str) -> str | None:
        """Account for one frame's key ("" for none); return a key to report."""
        if not key:
            self._candidate = ""
            self._hits = 0
            if self._down:
                self._misses += 1
                if self._misses >= 2:
                    self._down = ""
            return None
        self._misses = 0
        if key == self._candidate:
            self._hits += 1
        else:
            self._candidate = key
            self._hits = 1
        if self._hits >= 2 and key != self._down:
            self._down = key
            return key
        return None
