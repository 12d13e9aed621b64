"""Vectorised in-band DTMF detection: every key, both laws, and no false keys."""

import numpy as np
import numpy.typing as npt
import pytest

from careline.telephony.media.g711 import Codec, encode
from careline.telephony.media.goertzel import (
    COL_HZ,
    KEYPAD,
    ROW_HZ,
    DtmfDetector,
    ToneDebouncer,
    key_for,
)

T = np.arange(160) / 8000.0


def tone_frame(
    key: str, *, row_gain: float = 1.0, col_gain: float = 1.0, level: float = 5000.0
) -> npt.NDArray[np.int16]:
    index = KEYPAD.index(key)
    row, col = ROW_HZ[index // 4], COL_HZ[index % 4]
    signal = row_gain * np.sin(2 * np.pi * row * T + 0.4) + col_gain * np.sin(
        2 * np.pi * col * T + 1.3
    )
    return (level * signal).astype(np.int16)


def frames_of(codec: Codec, pcm_rows: list[npt.NDArray[np.int16]]) -> npt.NDArray[np.uint8]:
    return np.array([np.frombuffer(encode(codec, row), dtype=np.uint8) for row in pcm_rows])


@pytest.mark.parametrize("codec", list(Codec))
def test_detects_all_sixteen_keys_in_one_batch(codec: Codec) -> None:
    result = DtmfDetector().classify(frames_of(codec, [tone_frame(k) for k in KEYPAD]), codec)
    assert "".join(key_for(i) for i in result) == KEYPAD


def test_detects_keys_with_frequency_error_and_noise() -> None:
    rng = np.random.default_rng(5)
    rows = []
    for index, key in enumerate(KEYPAD):
        row, col = ROW_HZ[index // 4] * 1.015, COL_HZ[index % 4] * 0.985
        signal = 3000 * np.sin(2 * np.pi * row * T) + 3000 * np.sin(2 * np.pi * col * T)
        rows.append((signal + rng.normal(0, 150, 160)).astype(np.float32))
        del key
    result = DtmfDetector().classify_pcm(np.array(rows))
    assert "".join(key_for(i) for i in result) == KEYPAD


def speech_like(f0: float, rng: np.random.Generator) -> npt.NDArray[np.float32]:
    harmonics = sum(
        rng.uniform(0.2, 1.0) / h * np.sin(2 * np.pi * f0 * h * T + rng.uniform(0, 6))
        for h in range(1, 25)
    )
    return (4000 * harmonics + rng.normal(0, 300, 160)).astype(np.float32)


def test_ignores_speech_like_noise_and_silence() -> None:
    rng = np.random.default_rng(7)
    frames = [speech_like(f0, rng) for f0 in np.linspace(85, 320, 300)]
    frames += [rng.normal(0, level, 160).astype(np.float32) for level in (30, 1000, 8000)] * 50
    frames += [np.zeros(160, np.float32)] * 10
    result = DtmfDetector().classify_pcm(np.array(frames))
    assert (result == -1).all()


def test_ignores_single_tones_and_weak_keys() -> None:
    single = (8000 * np.sin(2 * np.pi * 941.0 * T)).astype(np.float32)
    weak = tone_frame("5", level=100).astype(np.float32)
    twisted = tone_frame("5", row_gain=1.0, col_gain=0.3).astype(np.float32)  # -10.5 dB
    result = DtmfDetector().classify_pcm(np.array([single, weak, twisted]))
    assert result.tolist() == [-1, -1, -1]


def test_accepts_normal_twist_within_limits() -> None:
    frame = tone_frame("8", row_gain=0.5, col_gain=1.0).astype(np.float32)  # high tone +6 dB
    assert key_for(DtmfDetector().classify_pcm(frame[None, :])[0]) == "8"


def test_debouncer_needs_two_frames_and_reports_once() -> None:
    debouncer = ToneDebouncer()
    heard = [debouncer.feed(k) for k in ["5", "5", "5", "5", "", "", "5", "5"]]
    assert heard == [None, "5", None, None, None, None, None, "5"]


def test_debouncer_ignores_a_single_frame_blip() -> None:
    debouncer = ToneDebouncer()
    assert [debouncer.feed(k) for k in ["3", "", "3", ""]] == [None] * 4
    assert debouncer.idle


def test_debouncer_keeps_a_press_through_one_dropped_frame() -> None:
    debouncer = ToneDebouncer()
    heard = [debouncer.feed(k) for k in ["7", "7", "", "7", "7", "7"]]
    assert heard == [None, "7", None, None, None, None]
