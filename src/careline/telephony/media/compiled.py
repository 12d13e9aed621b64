"""Whether the media engine runs compiled (``scripts/compile_media.py``), and never stale.

The compiled modules sit next to their sources and Python imports them first. One built
from an older source would run code nobody reads, so the package refuses to load then.
"""

from __future__ import annotations

import hashlib
import sysconfig
from pathlib import Path

_HERE = Path(__file__).resolve().parent


class StaleCompiledMedia(ImportError):
    """A compiled media module was built from a source that has changed since."""


def compiled_modules(package: Path = _HERE) -> list[str]:
    """Return the modules of ``package`` that have a compiled build next to their source."""
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    return sorted(path.name.removesuffix(suffix) for path in package.glob(f"*{suffix}"))


def check_compiled(package: Path = _HERE) -> bool:
    """Return True when ``package`` runs compiled; raise if a build is older than its source.

    ``compiled.sha256`` (written by ``scripts/compile_media.py``) holds the SHA-256 of each
    source as it was compiled, one ``digest  name.py`` line per module.
    """
    built = compiled_modules(package)
    if not built:
        return False
    recorded = {}
    manifest = package / "compiled.sha256"
    if manifest.exists():
        for line in manifest.read_text().splitlines():
            digest, _, name = line.partition("  ")
            recorded[name.removesuffix(".py")] = digest
    for name in built:
        source = package / f"{name}.py"
        if recorded.get(name) != hashlib.sha256(source.read_bytes()).hexdigest():
            raise StaleCompiledMedia(
                f"the compiled media module {name!r} is older than {source.name}: run "
                "`make install` (or scripts/compile_media.py; --clean for pure Python)"
            )
    return True


COMPILED = check_compiled()
