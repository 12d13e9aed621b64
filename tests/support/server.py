"""Run a real ``careline serve`` in a subprocess on free ports with its own data dir."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.ports import free_port

CARELINE = [sys.executable, "-m", "careline"]


@dataclass
class RunningServer:
    url: str
    data_dir: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None

    def cli(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        """Run a ``careline`` command against this server's database."""
        return subprocess.run(
            [*CARELINE, *args],
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )


def server_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARELINE_")}
    env.update(
        CARELINE_DATA_DIR=str(data_dir),
        CARELINE_CONFIG=str(data_dir / "careline.toml"),
        CARELINE_LOG_LEVEL="warning",
        **extra,
    )
    return env


@contextlib.contextmanager
def careline_server(
    data_dir: Path, *, voice: bool = False, voice_workers: int = 1, **extra: str
) -> Iterator[RunningServer]:
    """Migrate, then serve (with ``voice_workers`` voice processes) until the block ends."""
    http_port = free_port()
    env = server_env(
        data_dir, CARELINE_HTTP_PORT=str(http_port), CARELINE_SIP_PORT=str(free_port()), **extra
    )
    server = RunningServer(f"http://127.0.0.1:{http_port}", data_dir, env)
    upgraded = server.cli("db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    log = (data_dir / "serve.log").open("w")
    args = [*CARELINE, "serve"] + (
        ["--voice-workers", str(voice_workers)] if voice else ["--no-voice"]
    )
    process = server.process = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_healthy(server.url, process)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
    # Reached only when the block passed: the server must also stop cleanly when told to.
    output = (data_dir / "serve.log").read_text()
    assert process.returncode == 0, f"careline serve exited with {process.returncode}"
    assert "Traceback" not in output, output


def _wait_healthy(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"careline serve exited with {process.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError("careline serve did not become healthy")
