"""The speech-engine port and its espeak-ng adapter (a subprocess per render, bounded).

espeak-ng is run as ``espeak-ng -v VOICE -s RATE -b 1 --stdout`` with the text on stdin
(UTF-8), so no text is ever parsed as an option and long texts do not meet argv limits.

The child is started from a worker thread with ``subprocess.run``, not with the event loop's
``create_subprocess_exec``: under uvloop that forks the whole process on the loop thread, which
stalled the media tick of a busy voice worker for 100 ms and more per render, and it raised
"the handler is closed" when espeak-ng exited before its stdin was written (prompts then
failed to warm and were rendered again during calls).
"""

from __future__ import annotations

import abc
import asyncio
import subprocess

import structlog

from careline.speech.errors import SynthesisFailed

log = structlog.get_logger(__name__)


class SpeechEngine(abc.ABC):
    """Port: turn text into WAV bytes with a named voice."""

    @abc.abstractmethod
    async def version(self) -> str:
        """Return a string naming the engine and its version (part of the cache key)."""

    @abc.abstractmethod
    async def synthesize(self, text: str, *, voice: str, rate: int) -> bytes:
        """Return a WAV file speaking the text; rate is in words per minute."""


class EspeakEngine(SpeechEngine):
    """espeak-ng run in a subprocess, at most ``max_concurrency`` at a time."""

    def __init__(
        self, binary: str = "espeak-ng", *, max_concurrency: int = 2, timeout: float = 20.0
    ) -> None:
        self.binary = binary
        self.timeout = timeout
        self._slots = asyncio.Semaphore(max_concurrency)
        self._version: str | None = None
        self._version_lock = asyncio.Lock()

    async def _run(self, *arguments: str, stdin: bytes = b"") -> bytes:
        try:
            # subprocess.run kills the child on timeout; a cancelled caller leaves the thread
            # to finish within that bound, so no child is left behind either way.
            done = await asyncio.to_thread(
                subprocess.run,
                [self.binary, *arguments],
                input=stdin,
                capture_output=True,
                timeout=self.timeout,
                check=False,
            )
        except OSError as error:
            raise SynthesisFailed(f"cannot run {self.binary}: {error}") from error
        except subprocess.TimeoutExpired:
            raise TimeoutError from None
        if done.returncode != 0:
            message = done.stderr.decode("utf-8", "replace").strip()
            raise SynthesisFailed(f"{self.binary} exited with {done.returncode}: {message}")
        return done.stdout

    async def version(self) -> str:
        # One run for all: every render asks, and a worker warms ~150 prompts at once.
        async with self._version_lock:
            if self._version is None:
                async with self._slots:
                    output = await self._run("--version")
                # "eSpeak NG text-to-speech: 1.51  Data at: /usr/lib/..." -> "espeak-ng 1.51"
                banner = output.decode("utf-8", "replace").split("Data at:")[0]
                self._version = "espeak-ng " + banner.rsplit(":", 1)[-1].strip()
        return self._version

    async def synthesize(self, text: str, *, voice: str, rate: int) -> bytes:
        async with self._slots:
            try:
                wav = await self._run(
                    "-v", voice, "-s", str(rate), "-b", "1", "--stdout", stdin=text.encode()
                )
            except TimeoutError:
                raise SynthesisFailed(f"{self.binary} took longer than {self.timeout} s") from None
        if len(wav) <= 44:
            raise SynthesisFailed(f"{self.binary} produced no audio for voice {voice}")
        return wav
