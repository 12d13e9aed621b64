"""Shared set-up for calls between baresip phones and a Careline voice server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import numpy as np

from careline.telephony.calls import Flow
from careline.telephony.media import Prompt
from careline.telephony.registrar import InMemoryExtensionDirectory
from careline.telephony.server import VoiceServer
from careline.telephony.sip.ratelimit import RateLimiter
from careline.telephony.trunk import TrunkSettings
from tests.support.baresip import Baresip, level_of, write_wav
from tests.support.ports import free_port_range

CODECS = "audio_codecs=PCMA/8000/1,PCMU/8000/1"
FRAME = 160


def caller_account() -> str:
    return f"<sip:13800000000@127.0.0.1>;regint=0;answermode=manual;{CODECS}"


def extension_account(extension: str, password: str, server_port: int) -> str:
    return (
        f"<sip:{extension}@127.0.0.1:{server_port}>;auth_pass={password};regint=60;"
        f"answermode=auto;{CODECS}"
    )


def prompt(pcm: np.ndarray, name: str = "") -> Prompt:
    return Prompt(pcm=pcm.astype(np.int16), name=name)


@asynccontextmanager
async def voice_server(
    flow: Flow,
    *,
    extensions: dict[str, str] | None = None,
    trunk: TrunkSettings | None = None,
    trusted: frozenset[str] | None = None,
    limiter: RateLimiter | None = None,
    rtp_timeout: float = 10.0,
    trunk_check_seconds: float = 0.0,
) -> AsyncIterator[VoiceServer]:
    low, high = free_port_range(40)
    server = VoiceServer(
        host="127.0.0.1",
        port=0,
        rtp_port_min=low,
        rtp_port_max=high,
        entry_flow=flow,
        extensions=InMemoryExtensionDirectory(extensions or {}),
        trunk=trunk,
        trusted_sources=trusted,
        rtp_timeout=rtp_timeout,
        limiter=limiter,
        trunk_check_seconds=trunk_check_seconds,
    )
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@asynccontextmanager
async def phone(
    workdir: Path, name: str, account: str, audio: np.ndarray
) -> AsyncIterator[Baresip]:
    device = Baresip(workdir, account, write_wav(workdir / f"{name}-in.wav", audio), name=name)
    await device.start()
    try:
        yield device
    finally:
        await device.stop()


def frames_with(pcm: np.ndarray, frequency: float, threshold: float = 1000.0) -> int:
    """Count 20 ms frames in which the frequency is clearly present."""
    count = 0
    for start in range(0, len(pcm) - FRAME + 1, FRAME):
        if level_of(pcm[start : start + FRAME], frequency) > threshold:
            count += 1
    return count
