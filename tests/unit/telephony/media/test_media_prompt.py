"""Prompts: WAV loading, encoding once per codec, silence; the WAV writer."""

import wave
from pathlib import Path

import numpy as np
import pytest

from careline.telephony.media import Codec, Prompt
from careline.telephony.media.g711 import encode
from careline.telephony.media.prompt import write_wav


def write(path: Path, *, rate: int = 8000, channels: int = 1, width: int = 2) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(width)
        wav.setframerate(rate)
        wav.writeframes(bytes(width * channels * 800))


def test_from_wav_reads_8khz_mono_16bit(tmp_path: Path) -> None:
    pcm = (np.arange(4000) % 200 - 100).astype(np.int16) * 50
    write_wav(tmp_path / "menu.wav", pcm)
    prompt = Prompt.from_wav(tmp_path / "menu.wav")
    assert prompt.name == "menu"
    assert np.array_equal(prompt.pcm, pcm)
    assert prompt.duration == 0.5


@pytest.mark.parametrize(("rate", "channels", "width"), [(16000, 1, 2), (8000, 2, 2), (8000, 1, 1)])
def test_from_wav_refuses_other_formats(
    tmp_path: Path, rate: int, channels: int, width: int
) -> None:
    write(tmp_path / "bad.wav", rate=rate, channels=channels, width=width)
    with pytest.raises(ValueError, match="8 kHz mono 16-bit"):
        Prompt.from_wav(tmp_path / "bad.wav")


def test_from_wav_refuses_non_wav(tmp_path: Path) -> None:
    (tmp_path / "x.wav").write_bytes(b"not a wav file at all")
    with pytest.raises(ValueError, match="not a PCM WAV"):
        Prompt.from_wav(tmp_path / "x.wav")


def test_encoded_is_cached_per_codec() -> None:
    prompt = Prompt(np.array([0, 1000, -1000], dtype=np.int16))
    first = prompt.encoded(Codec.PCMA)
    assert first == encode(Codec.PCMA, prompt.pcm)
    assert prompt.encoded(Codec.PCMA) is first
    assert prompt.encoded(Codec.PCMU) == b"\xff\xce\x4e"


def test_silence_has_the_asked_length() -> None:
    prompt = Prompt.silence(1.5)
    assert prompt.duration == 1.5
    assert prompt.encoded(Codec.PCMU) == b"\xff" * 12000
