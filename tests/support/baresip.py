"""Drive baresip (Debian ``baresip-core``) as a scripted SIP phone in tests.

Each phone gets its own config directory, SIP port, RTP port range and ``ctrl_tcp`` port.
It plays ``audio_in`` (a WAV through ``aufile``) to whoever it talks to and ``sndfile``
writes what it hears (``*-dec.wav``) into ``snd_path``. Commands and events travel over
``ctrl_tcp`` as JSON netstrings (``LEN:JSON,``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import wave
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tests.support.ports import free_port, free_port_range


def write_wav(path: Path, pcm: np.ndarray) -> Path:
    """Write 8 kHz mono 16-bit PCM."""
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(pcm.astype("<i2").tobytes())
    return path


def read_wav(path: Path) -> np.ndarray:
    """Read a mono 16-bit WAV as int16 samples (any rate)."""
    with wave.open(str(path), "rb") as wav:
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.int16)


@dataclass
class Baresip:
    """One baresip process acting as a phone."""

    workdir: Path
    account: str
    audio_in: Path
    name: str = "phone"
    sip_port: int = field(default_factory=free_port)
    ctrl_port: int = field(default_factory=lambda: free_port(socket.SOCK_STREAM))
    rtp_ports: tuple[int, int] = field(default_factory=free_port_range)
    events: list[dict[str, Any]] = field(default_factory=list)
    _process: asyncio.subprocess.Process | None = None
    _reader: asyncio.StreamReader | None = None
    _writer: asyncio.StreamWriter | None = None
    _listener: asyncio.Task[None] | None = None
    _news: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def config_dir(self) -> Path:
        return self.workdir / self.name

    @property
    def snd_dir(self) -> Path:
        return self.config_dir / "heard"

    def _write_config(self) -> None:
        self.config_dir.mkdir(parents=True, exist_ok=True)
        self.snd_dir.mkdir(exist_ok=True)
        lines = [
            "poll_method epoll",
            "module_path /usr/lib/baresip/modules",
            f"sip_listen 127.0.0.1:{self.sip_port}",
            "net_interface 127.0.0.1",
            f"audio_source aufile,{self.audio_in}",
            "audio_player aufile,/dev/null",
            "audio_alert aufile,/dev/null",
            "ausrc_srate 8000",
            "auplay_srate 8000",
            "ausrc_channels 1",
            "auplay_channels 1",
            f"rtp_ports {self.rtp_ports[0]}-{self.rtp_ports[1]}",
            "rtp_timeout 0",
            "jitter_buffer_delay 1-4",
            f"ctrl_tcp_listen 127.0.0.1:{self.ctrl_port}",
            f"snd_path {self.snd_dir}",
            "call_local_timeout 120",
            "module stdio.so",
            "module g711.so",
            "module aufile.so",
            "module sndfile.so",
            "module ctrl_tcp.so",
            "module_app account.so",
            "module_app menu.so",
        ]
        (self.config_dir / "config").write_text("\n".join(lines) + "\n")
        (self.config_dir / "accounts").write_text(self.account + "\n")
        (self.config_dir / "contacts").write_text("")

    async def start(self) -> None:
        """Start the process and connect to its control socket."""
        self._write_config()
        # The SIP trace goes to a log file next to the config, for a failing test's author.
        with (self.config_dir / "baresip.log").open("wb") as log:
            self._process = await asyncio.create_subprocess_exec(
                "baresip",
                "-s",
                "-f",
                str(self.config_dir),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )
        for _ in range(100):
            try:
                self._reader, self._writer = await asyncio.open_connection(
                    "127.0.0.1", self.ctrl_port
                )
                break
            except OSError:
                await asyncio.sleep(0.05)
        else:
            raise RuntimeError("baresip control socket did not open")
        self._listener = asyncio.get_running_loop().create_task(self._listen())

    async def _listen(self) -> None:
        assert self._reader is not None
        while True:
            length = await self._reader.readuntil(b":")
            payload = await self._reader.readexactly(int(length[:-1]) + 1)
            message = json.loads(payload[:-1])
            self.events.append(message)
            self._news.set()

    async def command(self, command: str, params: str = "") -> None:
        """Send a ctrl_tcp command (dial, sndcode, hangup, quit, ...)."""
        assert self._writer is not None
        body = json.dumps({"command": command, "params": params, "token": command}).encode()
        self._writer.write(str(len(body)).encode() + b":" + body + b",")
        await self._writer.drain()

    async def wait_event(self, kind: str, timeout: float = 10.0) -> dict[str, Any]:
        """Wait for an event of the given type (seen now or later) and return it."""
        async with asyncio.timeout(timeout):
            while True:
                for event in self.events:
                    if event.get("event") and event.get("type") == kind:
                        return event
                self._news.clear()
                await self._news.wait()

    async def registration(self, timeout: float = 10.0) -> str:
        """Poll ``reginfo`` until the account is registered ("OK") or refused ("ERR")."""
        async with asyncio.timeout(timeout):
            while True:
                self.events = [e for e in self.events if e.get("token") != "reginfo"]
                await self.command("reginfo")
                while not any(e.get("token") == "reginfo" for e in self.events):
                    self._news.clear()
                    await self._news.wait()
                reply = next(e for e in self.events if e.get("token") == "reginfo")
                text = str(reply.get("data", ""))
                for state in ("OK", "ERR"):
                    if f"m{state}" in text:
                        return state
                await asyncio.sleep(0.1)

    def saw(self, kind: str) -> bool:
        """Return True when an event of the type arrived."""
        return any(e.get("event") and e.get("type") == kind for e in self.events)

    async def dial(self, uri: str) -> None:
        await self.command("dial", uri)

    async def send_digits(self, digits: str, gap: float = 0.4) -> None:
        """Send RFC 4733 key presses one after another."""
        for digit in digits:
            await self.command("sndcode", digit)
            await asyncio.sleep(gap)

    async def hangup(self) -> None:
        await self.command("hangup")

    def heard(self) -> np.ndarray:
        """Return what the phone heard on its last call (the decoded audio dump)."""
        files = sorted(self.snd_dir.glob("*dec*.wav"), key=lambda p: p.stat().st_mtime)
        if not files:
            raise FileNotFoundError("baresip wrote no recording")
        return read_wav(files[-1])

    async def stop(self) -> None:
        """Quit baresip and wait for it (the recording is complete afterwards)."""
        if self._writer is not None:
            with contextlib.suppress(OSError):
                await self.command("quit")
        if self._process is not None:
            try:
                async with asyncio.timeout(3):
                    await self._process.wait()
            except TimeoutError:
                self._process.kill()
                await self._process.wait()
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener
        if self._writer is not None:
            self._writer.close()


def tone(frequency: float, seconds: float, level: float = 8000.0) -> np.ndarray:
    """Return a sine tone as 8 kHz int16 samples."""
    t = np.arange(int(8000 * seconds)) / 8000
    return (np.sin(2 * np.pi * frequency * t) * level).astype(np.int16)


def dtmf_tones(digits: str, on: float = 0.12, off: float = 0.5, lead: float = 1.0) -> np.ndarray:
    """Return in-band DTMF for the digits, after `lead` seconds of silence."""
    rows = {
        "1": 697,
        "2": 697,
        "3": 697,
        "4": 770,
        "5": 770,
        "6": 770,
        "7": 852,
        "8": 852,
        "9": 852,
        "*": 941,
        "0": 941,
        "#": 941,
    }
    cols = {
        "1": 1209,
        "2": 1336,
        "3": 1477,
        "4": 1209,
        "5": 1336,
        "6": 1477,
        "7": 1209,
        "8": 1336,
        "9": 1477,
        "*": 1209,
        "0": 1336,
        "#": 1477,
    }
    parts = [np.zeros(int(8000 * lead), dtype=np.int16)]
    for digit in digits:
        low = tone(rows[digit], on, 6000).astype(np.int32)
        high = tone(cols[digit], on, 6000).astype(np.int32)
        parts.append((low + high).clip(-32768, 32767).astype(np.int16))
        parts.append(np.zeros(int(8000 * off), dtype=np.int16))
    return np.concatenate(parts)


def level_of(pcm: np.ndarray, frequency: float, rate: int = 8000) -> float:
    """Return the normalised magnitude of one frequency in a block of audio."""
    if len(pcm) == 0:
        return 0.0
    t = np.arange(len(pcm)) / rate
    probe = np.exp(-2j * np.pi * frequency * t)
    return float(abs(np.dot(pcm.astype(np.float64), probe)) / len(pcm))
