"""Probe calls through the real main menu: how long from a key to the next prompt.

Each probe call listens to the greeting and the language question; once the line has been
quiet (comfort noise) for ``QUIET_FRAMES`` packets, the server is waiting for a key: the
probe keys 2 (RFC 4733) and stamps the first packet that is not comfort noise as the reply
(the English main menu). Arrival times are kernel stamps, as in ``ivr_load.probe_call``.
Each probe uses its own caller number, so no probe skips the language question because a
previous one chose a language. Run by ``ivr_load.py menu-probe``.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import struct
import time
from typing import Any

import numpy as np

from careline.telephony.media.g711 import Codec
from careline.telephony.media.tones import comfort_noise
from ivr_load import _header, _invite, _next_sip, _Probe

QUIET_FRAMES = 10  # 200 ms of comfort noise: the prompt has ended, a key is awaited
KEY = 2
CALL_LIMIT = 20.0  # seconds of RTP before a probe gives up waiting
_NOISE = comfort_noise(Codec.PCMA)
CN_FRAMES = frozenset(_NOISE[i : i + 160] for i in range(0, len(_NOISE), 160))


class _MenuProbe(_Probe):
    """A probe call that notices when the server goes quiet and when it speaks again."""

    def __init__(self) -> None:
        super().__init__()
        self.heard_audio = False
        self.quiet_run = 0
        self.quiet = False
        self.digit_at: float | None = None

    def _received(self, data: bytes, stamp: float) -> None:
        if data[:1] in (b"\x80", b"\x90"):
            if data[1] & 0x7F != 8:
                return  # RTCP
            self.arrivals.append(stamp)
            idle = data[12:172] in CN_FRAMES
            if self.digit_at is None:
                self.heard_audio |= not idle
                self.quiet_run = self.quiet_run + 1 if idle and self.heard_audio else 0
                self.quiet |= self.quiet_run >= QUIET_FRAMES
            elif self.reply_at is None and not idle and stamp > self.digit_at:
                self.reply_at = stamp
        elif data[:1].isalpha():
            self.sip.put_nowait(data)


def _rtp_packet(k: int, ssrc: int, key_step: int | None) -> bytes:
    """Silence, or step ``key_step`` of an RFC 4733 event for KEY (three end packets)."""
    if key_step is None:
        return struct.pack("!BBHII", 0x80, 8, k, k * 160, ssrc) + b"\xd5" * 160
    end = 0x80 if key_step >= 3 else 0
    payload = struct.pack("!BBH", KEY, end | 10, 160 * (min(key_step, 3) + 1))
    marker = 0x80 if key_step == 0 else 0
    return struct.pack("!BBHII", 0x80, 101 | marker, k, 0, ssrc) + payload


async def _talk(probe: _MenuProbe, peer: tuple[str, int]) -> None:
    """Send RTP until the reply has played 0.5 s (or CALL_LIMIT); key once the line is quiet."""
    ssrc, loop = secrets.randbits(32), asyncio.get_running_loop()
    start, key_from = loop.time(), None
    for k in range(int(CALL_LIMIT / 0.02)):
        await asyncio.sleep(max(0.0, start + k * 0.02 - loop.time()))
        if key_from is None and probe.quiet:
            key_from = k
            probe.digit_at = time.time()
        step = None if key_from is None or k - key_from >= 6 else k - key_from
        probe.sendto(_rtp_packet(k, ssrc, step), peer)
        if probe.reply_at is not None and time.time() - probe.reply_at > 0.5:
            return


def _request(method: str, server: tuple[str, int], port: int, call_id: str, to: str) -> bytes:
    cseq = 1 if method == "ACK" else 2
    return (
        f"{method} sip:100@{server[0]}:{server[1]} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{port};"
        f"branch=z9hG4bK{secrets.token_hex(8)}\r\nFrom: <sip:probe@127.0.0.1>;tag=p"
        f"{call_id[:8]}\r\nTo: {to}\r\nCall-ID: {call_id}\r\nCSeq: {cseq} {method}\r\n"
        "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    ).encode()


async def menu_probe_call(server: tuple[str, int]) -> dict[str, Any]:
    """Place one measured call through the menu; return whether the reply came, and when."""
    probe = _MenuProbe()
    call_id = secrets.token_hex(12)
    try:
        caller = f"1390{secrets.randbelow(10**7):07d}"  # its own number: no remembered language
        invite = _invite(probe.port, server, call_id, "z9hG4bK" + secrets.token_hex(8))
        probe.sendto(invite.replace(b"sip:probe@", f"sip:{caller}@".encode()), server)
        while (answer := await _next_sip(probe, 5.0)) is not None:
            if answer.startswith(b"SIP/2.0 200"):
                break
        if answer is None:
            return {"ok": False}
        rtp_port = int(re.search(rb"m=audio (\d+)", answer).group(1))  # type: ignore[union-attr]
        to = _header(answer, "To")
        probe.sendto(_request("ACK", server, probe.port, call_id, to), server)
        await _talk(probe, ("127.0.0.1", rtp_port))
        probe.sendto(_request("BYE", server, probe.port, call_id, to), server)
        while (bye_ok := await _next_sip(probe, 5.0)) is not None:
            if bye_ok.startswith(b"SIP/2.0 200") and b"BYE" in bye_ok:
                break
        arrivals = np.array(probe.arrivals)
        gaps = np.diff(arrivals) if len(arrivals) > 1 else np.zeros(0)
        ok = bye_ok is not None and probe.reply_at is not None and probe.digit_at is not None
        return {
            "ok": ok,
            "latency": (probe.reply_at - probe.digit_at) if ok else -1.0,  # type: ignore[operator]
            "gaps": gaps.tolist(),
        }
    finally:
        probe.close()


async def menu_probe_many(server: tuple[str, int], calls: int, spacing: float) -> dict[str, Any]:
    """Place ``calls`` menu probe calls ``spacing`` seconds apart; summarise them."""
    tasks = []
    for _ in range(calls):
        tasks.append(asyncio.ensure_future(menu_probe_call(server)))
        await asyncio.sleep(spacing)
    results = await asyncio.gather(*tasks)
    good = [r for r in results if r["ok"]]
    gaps = np.concatenate([np.array(r["gaps"]) for r in good]) if good else np.zeros(1)
    latency = np.array([r["latency"] for r in good]) if good else np.zeros(1)
    return {
        "probe_calls": calls,
        "probe_ok": len(good),
        "jitter_p99_ms": round(float(np.percentile(np.abs(gaps - 0.02), 99) * 1000), 1),
        "digit_to_reply_p50_ms": round(float(np.percentile(latency, 50) * 1000), 1),
        "digit_to_reply_p99_ms": round(float(np.percentile(latency, 99) * 1000), 1),
    }
