"""Fax through HylaFAX: the TIFF is handed to the ``sendfax`` client (Debian hylafax-client)."""

from __future__ import annotations

import asyncio
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from careline.channels.errors import SendFailed
from careline.channels.ports import FaxSender

_JOB_ID = re.compile(r"request id is (\d+)")


@dataclass(frozen=True, slots=True)
class HylafaxConfig:
    """Where the HylaFAX server listens and how to call its client."""

    host: str = "localhost"
    port: int = 4559
    sendfax: str = "sendfax"
    user: str | None = None
    timeout: float = 60.0


class HylafaxSender(FaxSender):
    """Queue faxes on a HylaFAX server with ``sendfax -n`` (no cover page)."""

    name = "hylafax"

    def __init__(self, config: HylafaxConfig) -> None:
        self.config = config

    def command(self, number: str, path: Path) -> list[str]:
        """Return the sendfax argument list for one document."""
        args = [self.config.sendfax, "-n", "-h", f"{self.config.host}:{self.config.port}"]
        if self.config.user:
            args += ["-o", self.config.user]
        return [*args, "-d", number, str(path)]

    async def send(self, number: str, tiff: bytes, *, title: str) -> str:
        """Write the TIFF to a temporary file and queue it; return HylaFAX's job id."""
        del title  # sendfax -n sends no cover page, so the title is printed on the page itself
        with tempfile.TemporaryDirectory(prefix="careline-fax-") as folder:
            path = Path(folder) / "document.tif"
            path.write_bytes(tiff)
            try:
                process = await asyncio.create_subprocess_exec(
                    *self.command(number, path),
                    stdout=asyncio.subprocess.PIPE,
                    stderr=asyncio.subprocess.PIPE,
                )
            except OSError as exc:
                raise SendFailed(f"sendfax cannot be run: {exc}", retryable=False) from exc
            try:
                out, err = await asyncio.wait_for(process.communicate(), self.config.timeout)
            except TimeoutError as exc:
                process.kill()
                await process.wait()
                raise SendFailed("sendfax did not finish in time") from exc
        found = _JOB_ID.search(out.decode("utf-8", errors="replace"))
        if process.returncode != 0 or found is None:
            reason = (err or out).decode("utf-8", errors="replace").strip()[:200]
            raise SendFailed(f"sendfax failed: {reason}")
        return found.group(1)
