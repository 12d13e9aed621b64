"""The package refuses a compiled media module built from an older source."""

from __future__ import annotations

import hashlib
import sysconfig
from pathlib import Path

import pytest

from careline.telephony.media.compiled import StaleCompiledMedia, check_compiled

SUFFIX = sysconfig.get_config_var("EXT_SUFFIX")


def _package(tmp_path: Path) -> Path:
    (tmp_path / "core.py").write_text("ANSWER = 42\n")
    (tmp_path / "jitter.py").write_text("DEPTH = 2\n")
    return tmp_path


def _compile(package: Path, *names: str) -> None:
    lines = []
    for name in names:
        (package / f"{name}{SUFFIX}").write_bytes(b"\x7fELF")
        digest = hashlib.sha256((package / f"{name}.py").read_bytes()).hexdigest()
        lines.append(f"{digest}  {name}.py\n")
    (package / "compiled.sha256").write_text("".join(lines))


def test_pure_python_when_nothing_is_compiled(tmp_path: Path) -> None:
    assert check_compiled(_package(tmp_path)) is False


def test_a_build_of_the_current_sources_is_used(tmp_path: Path) -> None:
    package = _package(tmp_path)
    _compile(package, "core", "jitter")
    assert check_compiled(package) is True


def test_an_edited_source_makes_its_build_stale(tmp_path: Path) -> None:
    package = _package(tmp_path)
    _compile(package, "core", "jitter")
    (package / "jitter.py").write_text("DEPTH = 3\n")
    with pytest.raises(StaleCompiledMedia, match="jitter"):
        check_compiled(package)


def test_a_build_missing_from_the_manifest_is_stale(tmp_path: Path) -> None:
    package = _package(tmp_path)
    _compile(package, "core")
    (package / f"jitter{SUFFIX}").write_bytes(b"\x7fELF")  # built by hand, never recorded
    with pytest.raises(StaleCompiledMedia, match="jitter"):
        check_compiled(package)
