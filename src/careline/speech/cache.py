"""Rendered prompts kept twice: on disk by content hash, and in memory (LRU by bytes).

The disk key hashes everything that changes the audio (engine and its version, voice, rate,
text and the conversion pipeline), so a changed input is a new file and entries never need
invalidating. Files are written to a temporary name in the same directory and renamed into
place, which is atomic on POSIX: two workers rendering the same text at once both produce a
whole file and the last rename wins; a reader never sees a half-written WAV. A file that still
fails to decode (e.g. truncated by a crash of the disk) is deleted and rendered again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections import OrderedDict
from pathlib import Path

import numpy as np
import structlog

from careline.speech.wav import InvalidAudio, Pcm, encode_wav, wav_to_telephone_pcm

log = structlog.get_logger(__name__)

# Bump when the conversion to 8 kHz changes, so old renders are not reused.
PIPELINE_VERSION = "8k-s16-kaiser60-v1"


def cache_key(*, engine: str, voice: str, rate: int, text: str) -> str:
    """Return the content hash naming a rendered prompt."""
    material = json.dumps(
        [PIPELINE_VERSION, engine, voice, rate, text], ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def write_atomically(path: Path, data: bytes) -> None:
    """Write data to path through a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, 0o644)  # mkstemp creates 0600; other workers must read it
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def freeze(pcm: Pcm) -> Pcm:
    """Return the samples as a read-only int16 array, safe to share between calls."""
    frozen = np.ascontiguousarray(pcm, dtype=np.int16)
    if frozen is pcm and pcm.flags.writeable:
        frozen = pcm.copy()
    frozen.flags.writeable = False
    return frozen


class DiskCache:
    """Rendered 8 kHz WAV files under ``directory/ab/abcdef....wav`` (blocking I/O)."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def path_for(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.wav"

    def load(self, key: str) -> Pcm | None:
        """Return the cached samples, or None when absent or unreadable."""
        path = self.path_for(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            pcm = freeze(wav_to_telephone_pcm(data))
        except InvalidAudio as error:
            log.warning("speech_cache_entry_unreadable", key=key, error=str(error))
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # marks the entry as used, for prune()
        return pcm

    def store(self, key: str, pcm: Pcm) -> Path:
        """Write the samples as an 8 kHz WAV file, atomically."""
        path = self.path_for(key)
        write_atomically(path, encode_wav(pcm))
        return path

    def prune(self, max_bytes: int) -> int:
        """Delete the least recently used entries until the cache fits; return how many."""
        entries = []
        for path in self.directory.glob("*/*.wav"):
            with contextlib.suppress(FileNotFoundError):
                status = path.stat()
                entries.append((status.st_mtime_ns, status.st_size, path))
        total = sum(size for _, size, _ in entries)
        removed = 0
        for _, size, path in sorted(entries):
            if total <= max_bytes:
                break
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed += 1
            total -= size
        return removed


class PcmLru:
    """An in-memory LRU of rendered samples bounded by their total size in bytes."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, Pcm] = OrderedDict()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def get(self, key: str) -> Pcm | None:
        pcm = self._entries.get(key)
        if pcm is not None:
            self._entries.move_to_end(key)
        return pcm

    def put(self, key: str, pcm: Pcm) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= old.nbytes
        if pcm.nbytes > self.max_bytes:
            return  # larger than the whole budget: serve it, do not keep it
        self._entries[key] = pcm
        self._bytes += pcm.nbytes
        while self._bytes > self.max_bytes:
            _, evicted = self._entries.popitem(last=False)
            self._bytes -= evicted.nbytes

    def discard(self, key: str) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= old.nbytes
