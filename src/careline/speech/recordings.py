"""Prompt recordings uploaded by the hospital, kept as ``<directory>/<language>/<id>.wav``.

A recording takes precedence over synthesis for the same prompt id and language. Uploads
are checked and converted to 8 kHz mono 16-bit once, when stored, so playback only reads.
Files copied into the directory by hand are accepted too and converted when loaded.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from careline.speech.cache import freeze, write_atomically
from careline.speech.errors import InvalidRecording
from careline.speech.language import Language, as_language
from careline.speech.resample import TELEPHONE_RATE
from careline.speech.wav import InvalidAudio, Pcm, encode_wav, wav_to_telephone_pcm

PROMPT_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
MAX_SECONDS = 600.0
MIN_SECONDS = 0.1
MAX_UPLOAD_BYTES = 64 * 1024 * 1024
_SILENCE_PEAK = 16  # of 32767: below this the file holds nothing a caller could hear


def check_prompt_id(prompt_id: str) -> str:
    """Return the prompt id if it is a safe file name (lower-case slug), else raise."""
    if not PROMPT_ID.match(prompt_id):
        raise InvalidRecording(
            f"prompt id must be 1-64 characters of a-z, 0-9, '_', '.', '-': {prompt_id!r}",
            field="prompt_id",
        )
    return prompt_id


def decode_recording(data: bytes) -> Pcm:
    """Check a recording and convert it to 8 kHz mono int16; raise InvalidRecording."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidRecording(f"recording is larger than {MAX_UPLOAD_BYTES} bytes")
    try:
        pcm = wav_to_telephone_pcm(data)
    except InvalidAudio as error:
        raise InvalidRecording(f"recording is not a playable WAV file: {error}") from error
    seconds = pcm.size / TELEPHONE_RATE
    if seconds < MIN_SECONDS:
        raise InvalidRecording(f"recording is too short ({seconds:.2f} s)")
    if seconds > MAX_SECONDS:
        raise InvalidRecording(
            f"recording is too long ({seconds:.0f} s, at most {MAX_SECONDS:.0f})"
        )
    if int(np.abs(pcm.astype(np.int32)).max()) < _SILENCE_PEAK:
        raise InvalidRecording("recording is silent")
    return freeze(pcm)


class RecordingLibrary:
    """The hospital's recorded prompts on disk (blocking I/O; call from a thread)."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def path_for(self, prompt_id: str, language: str | Language) -> Path:
        return self.directory / as_language(language).value / f"{check_prompt_id(prompt_id)}.wav"

    def version(self, prompt_id: str, language: str | Language) -> str | None:
        """Return a token that changes whenever the file changes, or None if absent."""
        try:
            status = self.path_for(prompt_id, language).stat()
        except FileNotFoundError:
            return None
        return f"{status.st_mtime_ns}:{status.st_size}"

    def load(self, prompt_id: str, language: str | Language) -> Pcm | None:
        """Return the recording as 8 kHz samples, None if absent; raise if unplayable."""
        path = self.path_for(prompt_id, language)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            return decode_recording(data)
        except InvalidRecording as error:
            raise InvalidRecording(f"{path}: {error.message}") from error

    def store(self, prompt_id: str, language: str | Language, data: bytes) -> Pcm:
        """Validate an upload, convert it to 8 kHz mono 16-bit and save it atomically."""
        path = self.path_for(prompt_id, language)
        pcm = decode_recording(data)
        write_atomically(path, encode_wav(pcm))
        return pcm

    def remove(self, prompt_id: str, language: str | Language) -> bool:
        """Delete a recording so the prompt falls back to synthesis; False if absent."""
        try:
            self.path_for(prompt_id, language).unlink()
        except FileNotFoundError:
            return False
        return True

    def available(self) -> list[tuple[str, Language]]:
        """List the (prompt id, language) pairs that have a recording file."""
        found: list[tuple[str, Language]] = []
        for language in Language:
            folder = self.directory / language.value
            if folder.is_dir():
                found.extend(
                    (path.stem, language)
                    for path in sorted(folder.glob("*.wav"))
                    if PROMPT_ID.match(path.stem)
                )
        return found
