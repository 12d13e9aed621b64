"""A real HylaFAX server (faxq + hfaxd from Debian hylafax-server) in a temporary spool.

No modem is attached, so jobs stay queued; that is enough to show that ``sendfax`` handed
the document to the server and what the server recorded for it.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.support.ports import free_port


@dataclass(frozen=True)
class HylafaxServer:
    port: int
    spool: Path

    def job(self, job_id: str) -> dict[str, str]:
        """Return the fields of a queued job's q-file."""
        lines = (self.spool / "sendq" / f"q{job_id}").read_text(errors="replace").splitlines()
        return dict(line.split(":", 1) for line in lines if ":" in line)


def _wait_for_port(port: int) -> None:
    end = time.monotonic() + 10
    while time.monotonic() < end:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"hfaxd did not listen on port {port}")


@contextlib.contextmanager
def hylafax_server() -> Iterator[HylafaxServer]:
    """Run faxq and hfaxd on a free loopback port with a copy of the Debian spool."""
    if not Path("/usr/sbin/hfaxd").exists():
        raise RuntimeError("HylaFAX is not installed (apt-get install hylafax-server)")
    spool = Path(tempfile.mkdtemp(prefix="careline-hylafax-"))
    # cp -a keeps the spool's uucp ownership, which the daemons need after dropping root.
    subprocess.run(["cp", "-a", "/var/spool/hylafax/.", f"{spool}/"], check=True)
    subprocess.run(["cp", "-a", "/etc/hylafax/.", f"{spool}/etc/"], check=True)
    with (spool / "etc" / "hosts.hfaxd").open("a") as hosts:
        hosts.write("127.0.0.1\n^.*\n")
    port = free_port()
    faxq = subprocess.Popen(
        ["/usr/sbin/faxq", "-D", "-q", str(spool)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    hfaxd = subprocess.Popen(
        ["/usr/sbin/hfaxd", "-d", "-q", str(spool), "-l", "127.0.0.1", "-i", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port)
        yield HylafaxServer(port, spool)
    finally:
        for process in (hfaxd, faxq):
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(spool, ignore_errors=True)
