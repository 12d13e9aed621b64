"""The Speaker: text and prompt ids in, 8 kHz mono int16 samples out, rendered once.

Lookup order for ``prompt(id, language)``: the hospital's recording, then the text of the
prompt catalogue through ``render``. ``render`` looks in the memory LRU, then the disk cache,
then runs the engine; concurrent requests for the same audio share one render (single
flight), and a caller that gives up (hangs up) does not cancel the render for the others.
Disk reads, writes and resampling run in a thread so a render never stalls the media tick.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import structlog

from careline.kit.text import clean
from careline.speech.adapter import as_prompt
from careline.speech.cache import DiskCache, PcmLru, cache_key, freeze
from careline.speech.catalog import DEFAULT_PROMPTS, PromptText
from careline.speech.engine import EspeakEngine, SpeechEngine
from careline.speech.errors import InvalidRecording, SynthesisFailed, UnknownPrompt
from careline.speech.language import VOICES, Language, as_language
from careline.speech.recordings import PROMPT_ID, RecordingLibrary
from careline.speech.wav import InvalidAudio, Pcm, wav_to_telephone_pcm

if TYPE_CHECKING:
    from careline.telephony.media.prompt import Prompt

log = structlog.get_logger(__name__)

DEFAULT_RATE = 160  # words per minute; a little slower than espeak's 175 for phone lines
MAX_TEXT_CHARS = 4000


@dataclass
class SpeakerStats:
    """Where rendered audio came from, counted since start."""

    memory_hits: int = 0
    disk_hits: int = 0
    renders: int = 0
    recordings: int = 0


@dataclass(frozen=True)
class WarmUpResult:
    """Outcome of pre-rendering the fixed prompts."""

    ready: int
    failures: dict[str, str] = field(default_factory=dict)


def prepare_text(text: str) -> str:
    """Normalise text before hashing and synthesis; reject empty or oversized text."""
    prepared = clean(text)
    if not prepared:
        raise ValueError("nothing to say: the text is empty")
    if len(prepared) > MAX_TEXT_CHARS:
        raise ValueError(f"text is longer than {MAX_TEXT_CHARS} characters")
    return prepared


class Speaker:
    """Render speech and fixed prompts to cached 8 kHz mono int16 numpy arrays."""

    def __init__(
        self,
        cache_dir: Path,
        recordings_dir: Path | None = None,
        *,
        engine: SpeechEngine | None = None,
        catalog: Mapping[str, PromptText] | None = None,
        rate: int = DEFAULT_RATE,
        memory_bytes: int = 64 * 1024 * 1024,
        voices: Mapping[Language, str] | None = None,
    ) -> None:
        self.engine = engine or EspeakEngine()
        self.disk = DiskCache(cache_dir)
        self.recordings = RecordingLibrary(recordings_dir) if recordings_dir else None
        self.catalog: dict[str, PromptText] = {**DEFAULT_PROMPTS, **(catalog or {})}
        self.rate = rate
        self.voices = {**VOICES, **(voices or {})}
        self.memory = PcmLru(memory_bytes)
        self.stats = SpeakerStats()
        self._inflight: dict[str, asyncio.Future[Pcm]] = {}
        self._unplayable: set[str] = set()

    async def render(self, text: str, language: str | Language, *, persist: bool = True) -> Pcm:
        """Return the text spoken as 8 kHz mono int16 (read-only); persist=False skips disk.

        Use persist=False for text that names a patient or reads out their numbers: it is
        kept only in memory, never written to the cache directory.
        """
        prepared = prepare_text(text)
        voice = self.voices[as_language(language)]
        version = await self.engine.version()
        key = cache_key(engine=version, voice=voice, rate=self.rate, text=prepared)
        cached = self.memory.get(key)
        if cached is not None:
            self.stats.memory_hits += 1
            return cached
        return await self._single_flight(
            key, lambda: self._load_or_synthesize(key, prepared, voice, persist=persist)
        )

    async def prompt(self, prompt_id: str, language: str | Language) -> Pcm:
        """Return a fixed prompt: the hospital's recording if any, else synthesised text."""
        lang = as_language(language)
        if self.recordings is not None and PROMPT_ID.match(prompt_id):
            recorded = await self._recording(self.recordings, prompt_id, lang)
            if recorded is not None:
                return recorded
        text = self.catalog.get(prompt_id)
        if text is None:
            raise UnknownPrompt(f"no recording and no text for prompt {prompt_id!r}")
        return await self.render(text.text(lang), lang)

    async def speech_prompt(
        self, text: str, language: str | Language, *, persist: bool = True
    ) -> Prompt:
        """Return ``render`` as a media-engine Prompt (G.711 encoded once per codec)."""
        return as_prompt(await self.render(text, language, persist=persist), name="tts")

    async def fixed_prompt(self, prompt_id: str, language: str | Language) -> Prompt:
        """Return ``prompt`` as a media-engine Prompt named after the prompt id."""
        return as_prompt(await self.prompt(prompt_id, language), name=prompt_id)

    async def warm_up(
        self,
        prompt_ids: Iterable[str] | None = None,
        languages: Iterable[str | Language] = tuple(Language),
    ) -> WarmUpResult:
        """Render fixed prompts ahead of the first call; report failures, do not raise."""
        chosen_languages = [as_language(language) for language in languages]
        wanted = [
            (prompt_id, language)
            for prompt_id in (self.catalog if prompt_ids is None else prompt_ids)
            for language in chosen_languages
        ]
        outcomes = await asyncio.gather(
            *(self.prompt(prompt_id, language) for prompt_id, language in wanted),
            return_exceptions=True,
        )
        failures: dict[str, str] = {}
        for (prompt_id, language), outcome in zip(wanted, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                failures[f"{prompt_id}/{language.value}"] = str(outcome)
        if failures:
            log.error("speech_warm_up_failed", failures=failures)
        log.info("speech_warm_up_done", ready=len(wanted) - len(failures))
        return WarmUpResult(ready=len(wanted) - len(failures), failures=failures)

    async def store_recording(self, prompt_id: str, language: str | Language, data: bytes) -> Pcm:
        """Validate, convert and save an uploaded recording; it is used from now on."""
        if self.recordings is None:
            raise InvalidRecording("this Careline has no recordings directory configured")
        return await asyncio.to_thread(self.recordings.store, prompt_id, language, data)

    async def _recording(
        self, library: RecordingLibrary, prompt_id: str, language: Language
    ) -> Pcm | None:
        # A stat per lookup lets a recording uploaded through another process take effect.
        version = await asyncio.to_thread(library.version, prompt_id, language)
        if version is None:
            return None
        key = f"recording:{language.value}:{prompt_id}:{version}"
        if key in self._unplayable:
            return None
        cached = self.memory.get(key)
        if cached is None:
            try:
                cached = await self._single_flight(
                    key, lambda: self._load_recording(library, key, prompt_id, language)
                )
            except InvalidRecording as error:
                # Better a synthesised prompt than silence on a live call.
                log.error("speech_recording_unplayable", prompt_id=prompt_id, error=error.message)
                self._unplayable.add(key)
                return None
        return cached

    async def _load_recording(
        self, library: RecordingLibrary, key: str, prompt_id: str, language: Language
    ) -> Pcm:
        pcm = await asyncio.to_thread(library.load, prompt_id, language)
        if pcm is None:
            raise InvalidRecording(f"recording {prompt_id!r} vanished while loading")
        self.stats.recordings += 1
        self.memory.put(key, pcm)
        return pcm

    async def _load_or_synthesize(self, key: str, text: str, voice: str, *, persist: bool) -> Pcm:
        disk = self.disk if persist else None
        pcm = await asyncio.to_thread(disk.load, key) if disk else None
        if pcm is not None:
            self.stats.disk_hits += 1
        else:
            wav = await self.engine.synthesize(text, voice=voice, rate=self.rate)
            pcm = await asyncio.to_thread(_convert_and_store, disk, key, wav)
            self.stats.renders += 1
            log.debug("speech_rendered", voice=voice, seconds=pcm.size / 8000)
        self.memory.put(key, pcm)
        return pcm

    async def _single_flight(self, key: str, start: Callable[[], Awaitable[Pcm]]) -> Pcm:
        future = self._inflight.get(key)
        if future is None:
            future = asyncio.ensure_future(start())
            self._inflight[key] = future
            future.add_done_callback(lambda done: self._finish(key, done))
        return await asyncio.shield(future)

    def _finish(self, key: str, future: asyncio.Future[Pcm]) -> None:
        self._inflight.pop(key, None)
        if not future.cancelled():
            future.exception()  # retrieved here so an abandoned failure is not reported twice


def _convert_and_store(disk: DiskCache | None, key: str, wav: bytes) -> Pcm:
    try:
        pcm = freeze(wav_to_telephone_pcm(wav))
    except InvalidAudio as error:
        raise SynthesisFailed(f"speech engine output is not a usable WAV: {error}") from error
    if disk is not None:
        disk.store(key, pcm)
    return pcm
