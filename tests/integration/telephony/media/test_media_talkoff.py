"""Talk-off: real synthesized speech (espeak-ng, resampled by sox) never reads as a key.

Needs the Debian packages espeak-ng and sox.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from careline.telephony.media import Codec, Prompt
from careline.telephony.media.goertzel import DtmfDetector, ToneDebouncer, key_for
from careline.telephony.media.tones import dtmf_tone

SENTENCES = {
    "en": "Welcome to the hospital. For appointments press one. For the pharmacy, press two. "
    "Please say your card number after the tone, then press the hash key. Goodbye.",
    "cmn-latn-pinyin": "huan ying zhi dian yi yuan, yu yue gua hao qing an yi, cha xun qing an er",
}


def speech(tmp_path: Path, voice: str) -> npt.NDArray[np.int16]:
    raw, narrow = tmp_path / f"{voice}.wav", tmp_path / f"{voice}-8k.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(raw), SENTENCES[voice]], check=True)
    subprocess.run(
        ["sox", "-V1", str(raw), "-r", "8000", "-c", "1", "-b", "16", str(narrow)], check=True
    )
    return Prompt.from_wav(narrow).pcm


def keys_heard(encoded: bytes, codec: Codec) -> list[str]:
    frames = len(encoded) // 160
    rows = np.frombuffer(encoded[: frames * 160], dtype=np.uint8).reshape(frames, 160)
    debouncer = ToneDebouncer()
    heard = []
    for index in DtmfDetector().classify(rows, codec).tolist():
        key = debouncer.feed(key_for(index) if index >= 0 else "")
        if key:
            heard.append(key)
    return heard


@pytest.mark.parametrize("voice", list(SENTENCES))
@pytest.mark.parametrize("gain", [0.5, 1.0, 3.0])
def test_speech_is_not_taken_for_keys(tmp_path: Path, voice: str, gain: float) -> None:
    pcm = np.clip(speech(tmp_path, voice) * gain, -32768, 32767).astype(np.int16)
    assert len(pcm) > 8000 * 3
    for codec in Codec:
        assert keys_heard(Prompt(pcm).encoded(codec), codec) == []


def test_a_key_after_speech_is_heard_once(tmp_path: Path) -> None:
    encoded = Prompt(speech(tmp_path, "en")).encoded(Codec.PCMU) + dtmf_tone("5", Codec.PCMU)
    assert keys_heard(encoded, Codec.PCMU) == ["5"]
