"""Sample-rate conversion to the 8 kHz telephone rate by windowed-sinc interpolation (numpy).

Theory of operation: for a rational ratio ``rate_out/rate_in = up/down`` every output sample
``n`` sits at input time ``n*down/up``, whose fractional part takes only ``up`` values. The
low-pass kernel (sinc cut off below the lower Nyquist frequency, Kaiser window for ~60 dB
stop-band rejection) is evaluated once per fraction into a filter bank, and each output is
a dot product of the bank row with the neighbouring input samples. This is the polyphase
resampler of a textbook, written as one strided matrix-vector product per phase, so it needs
no SciPy and no extra process.

Why not ``sox``: in-process conversion of a 5 s prompt takes ~1.3 ms against ~4.8 ms for a
``sox`` subprocess (bench/tts_cache.py), needs no second process per render, keeps one code
path for synthesis and uploaded recordings (any rate, PCM or G.711), and lets unit tests check
the filter directly. Passband is flat to 3.4 kHz (the telephone band) and everything from
4 kHz up is rejected by at least 60 dB, so nothing aliases into the 8 kHz signal.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

TELEPHONE_RATE = 8000
_STOPBAND_DB = 60.0
_KAISER_BETA = 0.1102 * (_STOPBAND_DB - 8.7)
_PASSBAND_FRACTION = 0.85  # of the lower Nyquist frequency: 3.4 kHz of 4 kHz

FloatArray = npt.NDArray[np.float32]


@lru_cache(maxsize=16)
def _filter_bank(rate_in: int, rate_out: int) -> tuple[npt.NDArray[np.float32], int, int, int]:
    """Return (bank[up, taps], up, down, half) for converting rate_in to rate_out."""
    divisor = math.gcd(rate_in, rate_out)
    up, down = rate_out // divisor, rate_in // divisor
    nyquist = min(rate_in, rate_out) / 2
    transition = nyquist * (1 - _PASSBAND_FRACTION)
    cutoff = nyquist - transition / 2
    # Kaiser's estimate of the filter length, in input samples.
    length = (_STOPBAND_DB - 8) / (2.285 * 2 * math.pi * transition / rate_in)
    half = max(2, math.ceil(length / 2))
    offsets = np.arange(-half + 1, half + 1, dtype=np.float64)
    fractions = np.arange(up, dtype=np.float64)[:, None] / up
    tau = fractions - offsets[None, :]
    normalised_cutoff = 2 * cutoff / rate_in
    kernel = normalised_cutoff * np.sinc(normalised_cutoff * tau)
    ratio = np.clip(tau / half, -1.0, 1.0)
    window = np.i0(_KAISER_BETA * np.sqrt(1 - ratio**2)) / np.i0(_KAISER_BETA)
    bank = kernel * window
    bank /= bank.sum(axis=1, keepdims=True)  # unity gain at DC for every phase
    return bank.astype(np.float32), up, down, half


def resample(samples: FloatArray, rate_in: int, rate_out: int = TELEPHONE_RATE) -> FloatArray:
    """Convert float samples (mono) from rate_in to rate_out."""
    if rate_in <= 0 or rate_out <= 0:
        raise ValueError(f"sample rates must be positive: {rate_in} -> {rate_out}")
    samples = np.asarray(samples, dtype=np.float32)
    if rate_in == rate_out or samples.size == 0:
        return samples.copy()
    bank, up, down, half = _filter_bank(rate_in, rate_out)
    count = -(-samples.size * up // down)  # every output instant inside the input
    padded = np.concatenate([np.zeros(half, np.float32), samples, np.zeros(half, np.float32)])
    windows = sliding_window_view(padded, 2 * half)  # a view: row i is padded[i : i + taps]
    output = np.empty(count, dtype=np.float32)
    # Outputs first, first + up, first + 2*up... share one filter phase and step through the
    # input by ``down``: one strided matrix-vector product (BLAS, no copy) per phase.
    for first in range(min(up, count)):
        base, phase = divmod(first * down, up)
        rows = windows[base + 1 :: down][: len(range(first, count, up))]
        output[first::up] = rows @ bank[phase]
    return output


def to_int16(samples: npt.NDArray[np.floating[Any]]) -> npt.NDArray[np.int16]:
    """Convert float samples in [-1, 1) to int16, clipping overshoot."""
    scaled = np.rint(np.asarray(samples, dtype=np.float64) * 32768.0)
    return np.clip(scaled, -32768, 32767).astype(np.int16)
