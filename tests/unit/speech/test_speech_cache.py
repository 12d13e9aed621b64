import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from careline.speech.cache import DiskCache, PcmLru, cache_key, freeze, write_atomically
from careline.speech.wav import encode_wav


def pcm(size: int, value: int = 100) -> np.ndarray:
    return np.full(size, value, dtype=np.int16)


def test_cache_key_changes_with_every_input_that_changes_the_audio() -> None:
    key = cache_key(engine="espeak-ng 1.51", voice="en", rate=160, text="hello")
    assert len(key) == 64
    assert cache_key(engine="espeak-ng 1.51", voice="en", rate=160, text="hello") == key
    variants = {
        cache_key(engine="espeak-ng 1.52", voice="en", rate=160, text="hello"),
        cache_key(engine="espeak-ng 1.51", voice="en-us", rate=160, text="hello"),
        cache_key(engine="espeak-ng 1.51", voice="en", rate=161, text="hello"),
        cache_key(engine="espeak-ng 1.51", voice="en", rate=160, text="hello."),
    }
    assert len(variants) == 4
    assert key not in variants


def test_cache_key_cannot_be_confused_by_moving_text_between_fields() -> None:
    first = cache_key(engine="e", voice="a b", rate=1, text="c")
    second = cache_key(engine="e", voice="a", rate=1, text="b c")
    assert first != second


def test_atomic_write_replaces_whole_files_and_leaves_no_temporaries(tmp_path: Path) -> None:
    target = tmp_path / "ab" / "entry.wav"
    write_atomically(target, b"first")
    write_atomically(target, b"second")
    assert target.read_bytes() == b"second"
    assert os.listdir(target.parent) == ["entry.wav"]
    assert target.stat().st_mode & 0o777 == 0o644


def test_failed_write_keeps_the_old_file_and_removes_the_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "entry.wav"
    write_atomically(target, b"old")

    def broken_replace(source: str, destination: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_atomically(target, b"new")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["entry.wav"]


def test_disk_cache_round_trip_and_layout(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path)
    key = "ab" + "0" * 62
    assert cache.load(key) is None
    path = cache.store(key, pcm(800, 7))
    assert path == tmp_path / "ab" / f"{key}.wav"
    loaded = cache.load(key)
    assert loaded is not None
    np.testing.assert_array_equal(loaded, pcm(800, 7))
    assert not loaded.flags.writeable


def test_unreadable_cache_entry_is_deleted_and_reported_missing(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path)
    key = "cd" + "1" * 62
    path = cache.store(key, pcm(80))
    path.write_bytes(encode_wav(pcm(80))[:20])  # a file cut short
    assert cache.load(key) is None
    assert not path.exists()


def test_lru_evicts_least_recently_used_by_bytes() -> None:
    lru = PcmLru(max_bytes=3000)  # room for three arrays of 1000 bytes
    for name in "abc":
        lru.put(name, pcm(500))
    assert lru.get("a") is not None  # "a" is now the most recent
    lru.put("d", pcm(500))
    assert "b" not in lru
    assert {"a", "c", "d"} == {name for name in "abcd" if name in lru}
    assert lru.size_bytes == 3000


def test_lru_replaces_entries_and_skips_ones_larger_than_the_budget() -> None:
    lru = PcmLru(max_bytes=1000)
    lru.put("a", pcm(100))
    lru.put("a", pcm(200))
    assert lru.size_bytes == 400
    assert len(lru) == 1
    lru.put("huge", pcm(1000))
    assert "huge" not in lru
    assert "a" in lru
    lru.discard("a")
    assert lru.size_bytes == 0


def test_freeze_does_not_make_the_callers_array_read_only() -> None:
    original = pcm(10)
    frozen = freeze(original)
    assert original.flags.writeable
    assert not frozen.flags.writeable
    assert freeze(frozen) is frozen


def test_concurrent_writers_of_one_entry_always_leave_a_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "ab" / "entry.wav"
    contents = [bytes([index]) * 200_000 for index in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda data: write_atomically(target, data), contents * 4))
    assert target.read_bytes() in contents
    assert os.listdir(target.parent) == ["entry.wav"]


def test_prune_removes_least_recently_used_entries_first(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path)
    keys = [f"{index:02d}" + "0" * 62 for index in range(4)]
    for age, key in enumerate(keys):
        path = cache.store(key, pcm(800))
        os.utime(path, ns=(age * 10**9, age * 10**9))
    assert cache.load(keys[0]) is not None  # a hit makes the oldest entry the newest
    entry_size = cache.path_for(keys[0]).stat().st_size
    assert cache.prune(max_bytes=2 * entry_size) == 2
    assert [cache.path_for(key).exists() for key in keys] == [True, False, False, True]
    assert cache.prune(max_bytes=10 * entry_size) == 0
