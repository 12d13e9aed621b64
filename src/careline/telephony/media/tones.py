"""Generated audio the engine needs: comfort noise for idle streams and DTMF tones."""

from __future__ import annotations

from functools import cache

import numpy as np

from careline.telephony.media.g711 import Codec, encode

_ROWS = (697.0, 770.0, 852.0, 941.0)
_COLS = (1209.0, 1336.0, 1477.0, 1633.0)
_KEYPAD = "123A456B789C*0#D"


@cache
def comfort_noise(codec: Codec) -> bytes:
    """Return one second of faint noise (about -65 dBov) as G.711, computed once per codec."""
    rng = np.random.default_rng(8000)
    noise = rng.normal(0.0, 16.0, 8000).round().astype(np.int16)
    return encode(codec, noise)


@cache
def dtmf_tone(digit: str, codec: Codec, *, on_ms: int = 100, off_ms: int = 60) -> bytes:
    """Return one key as dual tones (about -10 dBm0 each) followed by a pause, as G.711."""
    index = _KEYPAD.index(digit.upper())
    t = np.arange(on_ms * 8) / 8000.0
    tone = 7000.0 * (
        np.sin(2 * np.pi * _ROWS[index // 4] * t) + np.sin(2 * np.pi * _COLS[index % 4] * t)
    )
    pcm = np.concatenate([tone.round().astype(np.int16), np.zeros(off_ms * 8, np.int16)])
    return encode(codec, pcm)
