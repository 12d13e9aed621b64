"""Real espeak-ng (Debian package espeak-ng) rendering through the Speaker."""

import asyncio
import subprocess
import wave
from datetime import date, time
from pathlib import Path

import numpy as np
import pytest

from careline.speech import (
    DEFAULT_PROMPTS,
    EspeakEngine,
    Language,
    Speaker,
    SynthesisFailed,
    phrases,
)
from careline.speech.cache import PcmLru

PHRASES = [
    (Language.ZH, "您好，请按一。"),  # five syllables
    (Language.EN, "Hello, please press one."),
]


def rms(pcm: np.ndarray) -> float:
    return float(np.sqrt(np.mean(pcm.astype(np.float64) ** 2)))


@pytest.mark.asyncio
@pytest.mark.parametrize(("language", "text"), PHRASES)
async def test_real_render_is_8k_audible_and_of_plausible_length(
    tmp_path: Path, language: Language, text: str
) -> None:
    speaker = Speaker(tmp_path / "cache")
    pcm = await speaker.render(text, language)

    assert pcm.dtype == np.int16
    seconds = pcm.size / 8000
    assert 0.6 < seconds < 4.0, seconds
    assert rms(pcm) > 500  # speech, not silence or noise floor
    assert int(np.abs(pcm.astype(np.int32)).max()) > 5000

    [cached] = list((tmp_path / "cache").glob("*/*.wav"))
    with wave.open(str(cached)) as stored:
        assert (stored.getframerate(), stored.getnchannels(), stored.getsampwidth()) == (8000, 1, 2)
        assert stored.getnframes() == pcm.size


@pytest.mark.asyncio
async def test_second_render_hits_the_cache_without_a_subprocess(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    speaker = Speaker(tmp_path / "cache")
    first = await speaker.render(PHRASES[0][1], Language.ZH)

    def no_subprocess(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"espeak-ng was run again: {args}")

    monkeypatch.setattr("careline.speech.engine.subprocess.run", no_subprocess)
    assert await speaker.render(PHRASES[0][1], Language.ZH) is first  # memory
    speaker.memory = PcmLru(speaker.memory.max_bytes)  # as after a restart: disk only
    from_disk = await speaker.render(PHRASES[0][1], Language.ZH)
    np.testing.assert_array_equal(from_disk, first)
    assert (speaker.stats.renders, speaker.stats.memory_hits, speaker.stats.disk_hits) == (1, 1, 1)


@pytest.mark.asyncio
async def test_concurrent_renders_of_different_texts_all_complete(tmp_path: Path) -> None:
    speaker = Speaker(tmp_path / "cache", engine=EspeakEngine(max_concurrency=2))
    texts = [phrases.queue_number(number, Language.ZH) for number in range(1, 6)]
    results = await asyncio.gather(*(speaker.render(text, Language.ZH) for text in texts))
    assert all(rms(pcm) > 500 for pcm in results)
    assert speaker.stats.renders == 5
    assert len(list((tmp_path / "cache").glob("*/*.wav"))) == 5
    assert not list((tmp_path / "cache").glob("*/.tmp-*"))


def test_mandarin_voice_reads_the_prompts_as_mandarin_throughout() -> None:
    # Ask espeak-ng for phonemes: "(en)" marks a switch to English, which is what the plain
    # "cmn" voice does for many characters and what the pinyin voice must never do here.
    spoken_values = [
        phrases.money(1250, Language.ZH),
        phrases.time_of_day(time(9, 30), Language.ZH),
        phrases.date_phrase(date(2026, 11, 25), Language.ZH),
        phrases.queue_number(12, Language.ZH),
        phrases.phone_number("13800138000", Language.ZH),
        phrases.duration(7325, Language.ZH),
        phrases.press_key("2", Language.ZH),
    ]
    text = "\n".join([prompt.zh for prompt in DEFAULT_PROMPTS.values()] + spoken_values)
    phonemes = subprocess.run(
        ["espeak-ng", "-v", "cmn-latn-pinyin", "-q", "-x", "-b", "1"],
        input=text.encode(),
        capture_output=True,
        check=True,
    ).stdout.decode()
    assert phonemes.strip()
    assert "(en)" not in phonemes


@pytest.mark.asyncio
async def test_engine_failures_are_reported_as_synthesis_failed(tmp_path: Path) -> None:
    missing = EspeakEngine(binary=str(tmp_path / "no-such-espeak"))
    with pytest.raises(SynthesisFailed, match="cannot run"):
        await missing.synthesize("hello", voice="en", rate=160)
    real = EspeakEngine()
    with pytest.raises(SynthesisFailed, match="exited with"):
        await real.synthesize("hello", voice="nosuchvoice", rate=160)
    assert (await real.version()).startswith("espeak-ng 1.")
