"""Time a 10-word prompt through the Speaker: cold (espeak-ng + 8 kHz conversion + disk
write), warm from disk (as after a restart) and warm from memory; Mandarin and English.

Run: .venv/bin/python bench/tts_cache.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path

from careline.speech import EspeakEngine, Language, Speaker
from careline.speech.cache import PcmLru
from careline.speech.language import VOICES
from careline.speech.resample import TELEPHONE_RATE
from careline.speech.speaker import DEFAULT_RATE
from careline.speech.wav import wav_to_telephone_pcm

TEN_WORDS = {
    # 您/预约/的/王/医生/门诊/在/明天/上午/九点半
    Language.ZH: "您预约的王医生门诊在明天上午九点半。",
    Language.EN: "Your appointment with doctor Wang is tomorrow at nine thirty.",
}


def summary(label: str, seconds: list[float]) -> None:
    milliseconds = sorted(value * 1000 for value in seconds)
    p95 = milliseconds[max(0, round(0.95 * len(milliseconds)) - 1)]
    print(
        f"{label:<34} median {statistics.median(milliseconds):8.3f} ms"
        f"   p95 {p95:8.3f} ms   min {milliseconds[0]:8.3f} ms   (n={len(milliseconds)})"
    )


async def timed(action: Callable[[], Awaitable[object]]) -> float:
    start = time.perf_counter()
    await action()
    return time.perf_counter() - start


async def bench_language(language: Language, repeat: int, root: Path) -> None:
    text = TEN_WORDS[language]
    engine = EspeakEngine()
    await engine.version()  # asked once per process; not part of a render
    cold, disk, memory = [], [], []
    for index in range(repeat):
        speaker = Speaker(root / f"{language.value}-{index}", engine=engine)
        render = partial(speaker.render, text, language)
        cold.append(await timed(render))
        speaker.memory = PcmLru(speaker.memory.max_bytes)
        disk.append(await timed(render))
        memory.append(await timed(render))
    pcm = await speaker.render(text, language)
    print(f"{language.value}: {text!r} -> {pcm.size / TELEPHONE_RATE:.2f} s of audio")
    summary("  cold (espeak + 8 kHz + disk)", cold)
    summary("  warm from disk (after restart)", disk)
    summary("  warm from memory", memory)
    await bench_worker_cpu(engine, language, text, repeat, root)
    await bench_parts(language, text, repeat)


async def bench_worker_cpu(
    engine: EspeakEngine, language: Language, text: str, repeat: int, root: Path
) -> None:
    """CPU the calling process spends per cold render (spawn, read, convert; not espeak)."""
    speaker = Speaker(root / f"{language.value}-cpu", engine=engine)
    texts = [f"{index} {text}" for index in range(repeat)]
    start = time.process_time()
    for variant in texts:
        await speaker.render(variant, language, persist=False)
    per_render = (time.process_time() - start) / repeat * 1000
    print(f"  own-process CPU per cold render    {per_render:8.3f} ms   (n={repeat})")


async def bench_parts(language: Language, text: str, repeat: int) -> None:
    voice = VOICES[language]
    command = ["espeak-ng", "-v", voice, "-s", str(DEFAULT_RATE), "-b", "1", "--stdout"]
    wav = subprocess.run(command, input=text.encode(), capture_output=True, check=True).stdout
    espeak, numpy_resample, sox = [], [], []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, input=text.encode(), capture_output=True, check=True)
        espeak.append(time.perf_counter() - start)
        start = time.perf_counter()
        wav_to_telephone_pcm(wav)
        numpy_resample.append(time.perf_counter() - start)
        start = time.perf_counter()
        sox_command = ["sox", "-q", "-t", "wav", "-", "-t", "raw", "-r", "8000", "-e", "signed"]
        subprocess.run([*sox_command, "-b", "16", "-"], input=wav, capture_output=True, check=True)
        sox.append(time.perf_counter() - start)
    summary("  part: espeak-ng subprocess", espeak)
    summary("  part: numpy 22.05 -> 8 kHz", numpy_resample)
    summary("  for comparison: sox subprocess", sox)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        for language in Language:
            await bench_language(language, arguments.repeat, Path(directory))


if __name__ == "__main__":
    asyncio.run(main())
