"""A speech engine fake for the speech unit tests (a subclass of the real port)."""

import asyncio

import numpy as np

from careline.speech import SpeechEngine, SynthesisFailed
from careline.speech.resample import to_int16
from careline.speech.wav import encode_wav


class FakeEngine(SpeechEngine):
    """Speaks every text as a 22.05 kHz tone lasting 20 ms per character."""

    def __init__(self, *, fail_on: str | None = None) -> None:
        self.calls: list[tuple[str, str, int]] = []
        self.gate: asyncio.Event | None = None
        self.started = asyncio.Event()
        self.fail_on = fail_on

    async def version(self) -> str:
        return "fake 1.0"

    async def synthesize(self, text: str, *, voice: str, rate: int) -> bytes:
        self.calls.append((text, voice, rate))
        self.started.set()
        if self.gate is not None:
            await self.gate.wait()
        if self.fail_on is not None and self.fail_on in text:
            raise SynthesisFailed("engine broke")
        samples = np.arange(int(22050 * 0.02 * len(text))) / 22050
        return encode_wav(to_int16(0.3 * np.sin(2 * np.pi * 440 * samples)), 22050)
