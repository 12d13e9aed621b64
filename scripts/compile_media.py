"""Compile the media engine's hot modules to C with mypyc, next to their sources.

The media engine touches every RTP packet of every call in Python: compiled, the same
modules (typed, ``mypy --strict`` clean) run with native attribute access and calls and
cost a worker about a fifth less CPU per call (docs/telephony.md, "Compiled media core").
The sources stay the truth: ``make install`` compiles after installing the package and
again whenever one of them changes; ``CARELINE_COMPILE=0`` removes the compiled modules
and runs the pure-Python ones. Without a C compiler or Python's headers it says so and
leaves the pure-Python modules in place.

    .venv/bin/python scripts/compile_media.py          # compile
    .venv/bin/python scripts/compile_media.py --clean  # back to pure Python
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import sysconfig
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
PACKAGE = SRC / "careline" / "telephony" / "media"
MODULES = (
    "core",
    "dtmf",
    "engine",
    "events",
    "jitter",
    "pacing",
    "playout",
    "recorder",
    "reports",
    "rtcp",
    "rtp",
    "stats",
    "stream",
)
MANIFEST = PACKAGE / "compiled.sha256"


def _say(text: str) -> None:
    sys.stdout.write(f"{text}\n")


def source_digest(name: str) -> str:
    """Return the SHA-256 of one hot module's source."""
    return hashlib.sha256((PACKAGE / f"{name}.py").read_bytes()).hexdigest()


def clean() -> None:
    """Remove the compiled modules and the runtime library they share."""
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    for name in MODULES:
        (PACKAGE / f"{name}{suffix}").unlink(missing_ok=True)
    for shared in SRC.glob(f"*__mypyc{suffix}"):
        shared.unlink()
    MANIFEST.unlink(missing_ok=True)


def compile_modules() -> bool:
    """Compile in place; return False (pure Python stays) when the toolchain is missing."""
    include = Path(sysconfig.get_paths()["include"]) / "Python.h"
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(compiler) is None:
        _say("compile_media: no C compiler; the media engine runs as pure Python")
        return False
    if not include.exists():
        _say(f"compile_media: no {include}; the media engine runs as pure Python")
        return False
    from mypyc.build import mypycify
    from setuptools import setup  # type: ignore[import-untyped]

    clean()
    paths = [str(PACKAGE.relative_to(SRC) / f"{name}.py") for name in MODULES]
    with tempfile.TemporaryDirectory(prefix="careline-mypyc-") as build:
        os.chdir(SRC)  # module names come from the paths: careline.telephony.media.*
        extensions = mypycify(
            [*paths, "--config-file", str(ROOT / "pyproject.toml")],
            opt_level="3",
            target_dir=build,
        )
        setup(
            name="careline-media",
            ext_modules=extensions,
            script_args=[
                "-q",
                *("build_ext", "--inplace", "--build-temp", build, "--build-lib", build),
            ],
        )
    MANIFEST.write_text("".join(f"{source_digest(name)}  {name}.py\n" for name in MODULES))
    return True


def main() -> None:
    """Compile, or with ``--clean`` (or CARELINE_COMPILE=0) go back to pure Python."""
    if "--clean" in sys.argv[1:] or os.environ.get("CARELINE_COMPILE") == "0":
        clean()
        _say("compile_media: pure-Python media engine")
        return
    if compile_modules():
        _say(f"compile_media: {len(MODULES)} media modules compiled")


if __name__ == "__main__":
    main()
