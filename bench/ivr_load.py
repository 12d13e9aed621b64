"""IVR load: SIPp calls plus Careline's own probe calls against N voice workers.

Each call: answer, a 6 s prompt, the caller keys "5" (RFC 4733), the reply, hang-up.
SIPp (Debian ``sip-tester``) carries the load and counts failed calls and retransmissions;
the probe (``probe`` below, run in its own process) places a few calls beside it and
measures what SIPp cannot: that the reply followed the digit (digit-to-reply latency,
from the first RFC 4733 packet sent to the first packet of the reply prompt received) and
the inter-arrival jitter of the server's RTP. Each SIPp caller talks from the ACK on: SIPp's
RTP streamer sends the audio of ``g711a.pcap`` every 20 ms (``--caller-audio pcap`` replays
the pcap itself instead, through SIPp's pcap player, whose raw socket per call taxes every
UDP packet on the machine: see docs/telephony.md, "The load generator's own cost").

    OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/ivr_load.py --workers 2 --calls 400,800,1200

``menu`` runs the hospital's real main menu instead (SIPp walks 2, 1, 3; probes from
``ivr_menu_probe.py`` time a key to the next prompt); see docs/ivr.md, "Load on the real menu".
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import shutil
import socket
import sqlite3
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from careline.telephony.calls import Call
from careline.telephony.media import COMPILED, Prompt
from careline.telephony.media.g711 import Codec

HERE = Path(__file__).resolve().parent
SCENARIOS = {
    # SIPp's RTP streamer sends the caller's audio from ordinary UDP sockets (the default).
    "stream": HERE / "sipp" / "ivr_digit.xml",
    # SIPp's pcap player: one raw socket per playing call, a cost on every UDP packet of the
    # machine that grows with the number of calls (docs/telephony.md, "The load generator").
    "pcap": HERE / "sipp" / "ivr_digit_pcap.xml",
}
CALLER_PCAP = Path("/usr/share/sip-tester/g711a.pcap")
CALL_SECONDS = 8.7  # ACK + 7.5 s to the digit + 1 s reply + BYE
MENU_SCENARIO = HERE / "sipp" / "ivr_menu.xml"
MENU_SECONDS = 11.5  # three keys 2.5 s apart, 4 s of the instructions, BYE
MENU_KEYS = "213"  # English, hospital information, visit instructions
DIGIT_AFTER = 7.5


def _tone(hz: float, seconds: float, name: str) -> Prompt:
    t = np.arange(int(8000 * seconds)) / 8000
    return Prompt(pcm=(np.sin(2 * np.pi * hz * t) * 8000).astype(np.int16), name=name)


PROMPT = _tone(440.0, 6.0, "bench-prompt")
REPLY = _tone(1000.0, 1.0, "bench-reply")


async def bench_flow(call: Call) -> None:
    """Play a prompt, collect one digit, play the reply and hang up; stall on a wrong digit."""
    await call.answer()
    await call.play(PROMPT, barge_in=False)
    digit = await call.collect(max_digits=1, timeout=10.0, terminator="")
    if digit != "5":
        await asyncio.sleep(30.0)  # the caller's BYE timeout turns a missed digit into a failure
    await call.play(REPLY, barge_in=False)
    await call.hangup()


# ---- probe: our own calls, measured -----------------------------------------------------


class _Probe:
    """One probe call's socket (SIP and RTP share it); arrivals stamped by the kernel."""

    def __init__(self) -> None:
        self.sip: asyncio.Queue[bytes] = asyncio.Queue()
        self.arrivals: list[float] = []
        self.reply_at: float | None = None
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)
        # Kernel receive stamps: what the server sent when, not when this process woke up.
        self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.port = int(self.sock.getsockname()[1])
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(self.sock.fileno(), self._readable)

    def _readable(self) -> None:
        for _ in range(64):
            try:
                data, ancillary, _, _ = self.sock.recvmsg(2048, 64)
            except BlockingIOError:
                return
            stamp = time.time()
            for level, kind, raw in ancillary:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                    seconds, nanos = struct.unpack("qq", raw[:16])
                    stamp = seconds + nanos / 1e9
            self._received(data, stamp)

    def _received(self, data: bytes, stamp: float) -> None:
        if data[:1] in (b"\x80", b"\x90"):  # version 2: RTP or a stray RTCP report
            if data[1] & 0x7F == 8:  # PCMA audio; RTCP types are 200-204
                self.arrivals.append(stamp)
                if self.reply_at is None and data[12:172] == REPLY_FRAME:
                    self.reply_at = stamp
        elif data[:1].isalpha():
            self.sip.put_nowait(data)

    def sendto(self, data: bytes, peer: tuple[str, int]) -> None:
        """Send a datagram (loopback: never blocks for long)."""
        self.sock.sendto(data, peer)

    def close(self) -> None:
        """Stop reading and close the socket."""
        self._loop.remove_reader(self.sock.fileno())
        self.sock.close()


SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
REPLY_FRAME = REPLY.encoded(Codec.PCMA)[:160]


def _invite(port: int, server: tuple[str, int], call_id: str, branch: str) -> bytes:
    sdp = (
        "v=0\r\no=probe 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        f"m=audio {port} RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\n"
        "a=rtpmap:101 telephone-event/8000\r\n"
    )
    host = f"{server[0]}:{server[1]}"
    return (
        f"INVITE sip:100@{host} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{port};branch={branch}\r\n"
        f"From: <sip:probe@127.0.0.1>;tag=p{call_id[:8]}\r\nTo: <sip:100@{host}>\r\n"
        f"Call-ID: {call_id}\r\nCSeq: 1 INVITE\r\nContact: <sip:probe@127.0.0.1:{port}>\r\n"
        f"Max-Forwards: 70\r\nContent-Type: application/sdp\r\nContent-Length: {len(sdp)}\r\n"
        f"\r\n{sdp}"
    ).encode()


def _header(message: bytes, name: str) -> str:
    match = re.search(rf"^{name}:\s*(.*?)\r$", message.decode(), re.IGNORECASE | re.MULTILINE)
    return match.group(1) if match else ""


async def _next_sip(probe: _Probe, timeout: float) -> bytes | None:
    try:
        return await asyncio.wait_for(probe.sip.get(), timeout)
    except TimeoutError:
        return None


async def _rtp(probe: _Probe, peer: tuple[str, int], seconds: float) -> float:
    """Send silence for ``seconds``, with digit 5 at DIGIT_AFTER; return when it was sent."""
    ssrc, digit_at, loop = secrets.randbits(32), 0.0, asyncio.get_running_loop()
    start = loop.time()
    for k in range(int(seconds / 0.02)):
        await asyncio.sleep(max(0.0, start + k * 0.02 - loop.time()))
        at = k * 0.02
        if DIGIT_AFTER <= at < DIGIT_AFTER + 0.12:
            step = round((at - DIGIT_AFTER) / 0.02)
            end = 0x80 if step >= 3 else 0
            payload = struct.pack("!BBH", 5, end | 10, 160 * (min(step, 3) + 1))
            header = struct.pack("!BBHII", 0x80, 101 | (0x80 if step == 0 else 0), k, 0, ssrc)
            digit_at = digit_at or time.time()
        else:
            payload = b"\xd5" * 160
            header = struct.pack("!BBHII", 0x80, 8, k, k * 160, ssrc)
        probe.sendto(header + payload, peer)
    return digit_at


async def probe_call(server: tuple[str, int]) -> dict[str, float | bool]:
    """Place one measured call; return whether it worked, latency and arrival gaps."""
    probe = _Probe()
    port = probe.port
    call_id, branch = secrets.token_hex(12), "z9hG4bK" + secrets.token_hex(8)
    try:
        probe.sendto(_invite(port, server, call_id, branch), server)
        while (answer := await _next_sip(probe, 5.0)) is not None:
            if answer.startswith(b"SIP/2.0 200"):
                break
        if answer is None:
            return {"ok": False}
        rtp_port = int(re.search(rb"m=audio (\d+)", answer).group(1))  # type: ignore[union-attr]
        to = _header(answer, "To")
        ack = (
            f"ACK sip:100@{server[0]}:{server[1]} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{port};"
            f"branch=z9hG4bK{secrets.token_hex(8)}\r\nFrom: <sip:probe@127.0.0.1>;tag=p"
            f"{call_id[:8]}\r\nTo: {to}\r\nCall-ID: {call_id}\r\nCSeq: 1 ACK\r\n"
            "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
        )
        probe.sendto(ack.encode(), server)
        digit_at = await _rtp(probe, ("127.0.0.1", rtp_port), DIGIT_AFTER + 1.2)
        bye = None
        while (bye := await _next_sip(probe, 5.0)) is not None and not bye.startswith(b"BYE"):
            pass
        if bye is not None:
            ok = "\r\n".join(
                ["SIP/2.0 200 OK"]
                + [f"{h}: {_header(bye, h)}" for h in ("Via", "From", "To", "Call-ID", "CSeq")]
            )
            probe.sendto(f"{ok}\r\nContent-Length: 0\r\n\r\n".encode(), server)
        gaps = np.diff(np.array(probe.arrivals)) if len(probe.arrivals) > 1 else np.zeros(0)
        return {
            "ok": bye is not None and probe.reply_at is not None,
            "latency": (probe.reply_at - digit_at) if probe.reply_at else -1.0,
            "gaps": gaps.tolist(),  # type: ignore[dict-item]
        }
    finally:
        probe.close()


async def probe_many(server: tuple[str, int], calls: int, spacing: float) -> dict[str, float]:
    """Place ``calls`` probe calls ``spacing`` seconds apart; summarise them."""
    tasks = []
    for _ in range(calls):
        tasks.append(asyncio.ensure_future(probe_call(server)))
        await asyncio.sleep(spacing)
    results = await asyncio.gather(*tasks)
    good = [r for r in results if r["ok"]]
    gaps = np.concatenate([np.array(r["gaps"]) for r in good]) if good else np.zeros(1)
    latency = np.array([r["latency"] for r in good]) if good else np.zeros(1)
    return {
        "probe_calls": calls,
        "probe_ok": len(good),
        "jitter_p99_ms": float(np.percentile(np.abs(gaps - 0.02), 99) * 1000),
        "digit_to_reply_p50_ms": float(np.percentile(latency, 50) * 1000),
        "digit_to_reply_p99_ms": float(np.percentile(latency, 99) * 1000),
    }


# ---- the load run ------------------------------------------------------------------------


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _machine_busy() -> tuple[float, float]:
    """Return (busy, total) CPU seconds of the whole machine so far (/proc/stat)."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = ticks[3] + ticks[4]
    hz = os.sysconf("SC_CLK_TCK")
    return (sum(ticks) - idle) / hz, sum(ticks) / hz


def _sipp_totals(screen: Path) -> dict[str, int]:
    """Read SIPp's final screen (the periodic CSV misses the calls of the last second)."""
    text = screen.read_text(errors="replace")

    def cumulative(name: str) -> int:
        match = re.search(rf"{name}\s*\|[^|]*\|\s*(\d+)", text)
        return int(match.group(1)) if match else -1

    messages = re.findall(
        r"^\s+\S+ (?:<|-)-+[>-]?\s+(?:E-RTD1 )?(\d+)\s+(\d+)(?:\s+(\d+))?", text, re.M
    )
    head = re.search(r"(\d+) dead call msg.*?(\d+) out-of-call msg", text)
    started = int(messages[0][0]) if messages else -1
    completed = int(messages[-1][0]) if messages else -1  # the 200 OK to the server's BYE
    return {
        "successful": completed,
        "failed": started - completed,
        "sipp_successful": cumulative("Successful call"),
        "sipp_failed": cumulative("Failed call"),
        "retransmissions": sum(int(m[1]) for m in messages),
        "timeouts": sum(int(m[2] or 0) for m in messages),
        "dead_call_msgs": int(head.group(1)) if head else -1,
        "out_of_call_msgs": int(head.group(2)) if head else -1,
    }


async def _waited(process: asyncio.subprocess.Process) -> float:
    """Wait for a child, sampling its CPU seconds once a second; return the last sample."""
    cpu = 0.0
    for _ in range(3600):  # bounded: SIPp has its own global timeout well below this
        try:
            cpu = _cpu_seconds(process.pid)
        except (FileNotFoundError, IndexError, ProcessLookupError):
            break
        try:
            await asyncio.wait_for(asyncio.shield(process.wait()), 1.0)
            break
        except TimeoutError:
            continue
    await process.wait()
    return cpu


def pcap_payloads(pcap: Path, payload_type: int = 8) -> bytes:
    """Return the RTP payloads of one payload type in a pcap (Ethernet, IPv4, UDP), in order.

    SIPp's RTP streamer plays a headerless file of G.711 octets; this is the caller audio of
    ``g711a.pcap`` in that form.
    """
    data = pcap.read_bytes()
    magic, link_type = struct.unpack_from("<I", data)[0], struct.unpack_from("<I", data, 20)[0]
    if magic != 0xA1B2C3D4 or link_type != 1:
        raise ValueError(f"{pcap}: not a little-endian Ethernet pcap")
    offset, audio = 24, bytearray()
    while offset + 16 <= len(data):
        length = struct.unpack_from("<I", data, offset + 8)[0]
        frame = data[offset + 16 : offset + 16 + length]
        offset += 16 + length
        ip = 14  # Ethernet header
        rtp = ip + (frame[ip] & 0x0F) * 4 + 8  # IPv4 header, UDP header
        if len(frame) > rtp + 12 and frame[rtp + 1] & 0x7F == payload_type:
            audio += frame[rtp + 12 + 4 * (frame[rtp] & 0x0F) :]
    return bytes(audio)


def _realtime_prefix(priority: int) -> list[str]:
    """Return the command prefix that starts SIPp (and all its threads) in ``SCHED_RR``."""
    return ["chrt", "--rr", str(priority)] if priority else []


async def run_step(
    server: tuple[str, int],
    calls: int,
    probes: int,
    work: Path,
    caller_audio: str = "stream",
    sipp_realtime: int = 0,
) -> dict[str, Any]:
    """One load level: ``calls`` concurrent SIPp calls held for one call length, plus probes."""
    rate = calls / CALL_SECONDS
    total = calls * 2
    stat = work / f"sipp-{calls}.csv"
    stat.unlink(missing_ok=True)
    for old in work.glob("ivr_digit_*_screen.log"):
        old.unlink()
    options = (
        f"-sf {SCENARIOS[caller_audio]} -i 127.0.0.1 -mi 127.0.0.1 -p 0 -mp 16000 "
        f"-r {rate:.2f} -rp 1000 "
        f"-l {calls} -m {total} -nostdin -trace_stat -stf {stat} -fd 1 -trace_screen "
        f"-max_socket 4096 -timeout {int(3 * CALL_SECONDS + 60)}"
    )
    sipp = await asyncio.create_subprocess_exec(
        *_realtime_prefix(sipp_realtime),
        "sipp",
        f"{server[0]}:{server[1]}",
        *options.split(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=work,
    )
    sipp_cpu = asyncio.ensure_future(_waited(sipp))
    await asyncio.sleep(CALL_SECONDS)  # ramped up: the probes run at full concurrency
    spacing = CALL_SECONDS / max(1, probes)
    probe = await asyncio.create_subprocess_exec(
        *f"{sys.executable} {__file__} probe --port {server[1]} --calls-n {probes}".split(),
        f"--spacing={spacing}",
        stdout=subprocess.PIPE,
    )
    out, _ = await probe.communicate()
    sipp_seconds = await sipp_cpu  # SIPp has exited: its final screen is complete
    return {
        "calls": calls,
        "rate_cps": round(rate, 1),
        **_sipp_totals(next(work.glob("ivr_digit_*_screen.log"))),
        "sipp_cpu_s": round(sipp_seconds, 1),
        **json.loads(out),
    }


async def load(args: argparse.Namespace) -> None:
    """Start the voice workers with the bench flow, then ramp the SIPp load."""
    from careline.telephony.workers import VoicePool

    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    sys.path.insert(0, str(HERE))
    pool = VoicePool(
        args.workers,
        host="127.0.0.1",
        port=0,
        rtp_port_min=20000,
        rtp_port_max=39999,
        entry_flow="ivr_load:bench_flow",
        max_calls=10000,
        rtp_timeout=30.0,
        log_level=args.log_level,
        unlimited_sources=frozenset({"127.0.0.1"}),  # SIPp stands in for the trunk
        realtime_priority=args.realtime,
    )
    await pool.start()
    if args.nice:
        # Voice before batch work: the workers (and the front) win the CPU when it is contended.
        for pid in [p.pid for p in pool.processes if p.pid] + [os.getpid()]:
            os.setpriority(os.PRIO_PROCESS, pid, args.nice)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    (work / "g711a.alaw").write_bytes(pcap_payloads(CALLER_PCAP))
    try:
        for calls in (int(n) for n in args.calls.split(",")):
            pids = [p.pid for p in pool.processes if p.pid] + [os.getpid()]
            before = [_cpu_seconds(pid) for pid in pids]
            busy_before, total_before = _machine_busy()
            result = await run_step(
                pool.address, calls, args.probes, work, args.caller_audio, args.sipp_realtime
            )
            result["caller_audio"] = args.caller_audio
            result["media_compiled"] = COMPILED  # scripts/compile_media.py
            used = [_cpu_seconds(pid) - b for pid, b in zip(pids, before, strict=True)]
            busy, total = _machine_busy()
            # Everything the machine did meanwhile, including other work on it (cores busy).
            share = (busy - busy_before) / max(total - total_before, 1e-9)
            result["machine_cores_busy"] = round(share * (os.cpu_count() or 1), 2)
            result["loadavg"] = Path("/proc/loadavg").read_text().split()[0]
            call_seconds = (2 * calls + args.probes) * CALL_SECONDS
            result["server_cpu_s"] = [round(u, 1) for u in used]
            result["cpu_per_call_pct"] = round(100 * sum(used) / max(call_seconds, 1), 4)
            print(json.dumps(result), flush=True)  # noqa: T201 - the bench's output
            await asyncio.sleep(5.0)  # let the last calls' RTP time out and ports settle
    finally:
        await pool.stop()


def _prepare_hospital(data_dir: Path) -> None:
    """Migrate a fresh database and load the demo hospital the real menu reads from."""
    env = {**os.environ, "CARELINE_DATA_DIR": str(data_dir), "CARELINE_LOG_LEVEL": "warning"}
    for command in (["db", "upgrade"], ["demo", "--patients", "0"]):
        subprocess.run(
            [sys.executable, "-m", "careline", *command],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )


def _menu_calls_walked(database: Path, since: str) -> int:
    """Count the calls whose record shows the whole path keyed by SIPp."""
    with sqlite3.connect(database) as db:
        row = db.execute(
            "SELECT count(*) FROM ivr_call_records WHERE keys = ? AND started_at >= ?"
            " AND path LIKE '%info_instructions%'",
            (MENU_KEYS, since),
        ).fetchone()
    return int(row[0])


async def menu_step(server: tuple[str, int], calls: int, probes: int, work: Path) -> dict[str, Any]:
    """One load level on the real main menu: ``calls`` concurrent SIPp callers, plus probes."""
    rate = calls / MENU_SECONDS
    total = calls * 2
    for old in work.glob("ivr_menu_*_screen.log"):
        old.unlink()
    options = (
        f"-sf {MENU_SCENARIO} -i 127.0.0.1 -mi 127.0.0.1 -p 0 -mp 16000 -r {rate:.2f} -rp 1000 "
        f"-l {calls} -m {total} -nostdin -fd 1 -trace_screen -max_socket 4096 "
        f"-timeout {int(3 * MENU_SECONDS + 60)}"
    )
    sipp = await asyncio.create_subprocess_exec(
        "sipp",
        f"{server[0]}:{server[1]}",
        *options.split(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=work,
    )
    sipp_cpu = asyncio.ensure_future(_waited(sipp))
    await asyncio.sleep(MENU_SECONDS)  # ramped up: the probes run at full concurrency
    probe = await asyncio.create_subprocess_exec(
        *f"{sys.executable} {__file__} menu-probe --port {server[1]} --calls-n {probes}".split(),
        f"--spacing={MENU_SECONDS / max(1, probes)}",
        stdout=subprocess.PIPE,
    )
    out, _ = await probe.communicate()
    sipp_seconds = await sipp_cpu
    return {
        "calls": calls,
        "rate_cps": round(rate, 1),
        **_sipp_totals(next(work.glob("ivr_menu_*_screen.log"))),
        "sipp_cpu_s": round(sipp_seconds, 1),
        **json.loads(out),
    }


async def load_menu(args: argparse.Namespace) -> None:
    """Run the hospital's real menu in the voice workers and ramp SIPp callers through it."""
    from careline.config import Settings
    from careline.telephony.workers import VoicePool

    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    work = Path(args.work)
    data_dir = work / "menu-data"
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    _prepare_hospital(data_dir)
    settings = Settings(data_dir=data_dir, log_level=args.log_level)
    pool = VoicePool(
        args.workers,
        host="127.0.0.1",
        port=0,
        rtp_port_min=20000,
        rtp_port_max=39999,
        settings=settings,
        max_calls=10000,
        rtp_timeout=30.0,
        log_level=args.log_level,
        unlimited_sources=frozenset({"127.0.0.1"}),
        realtime_priority=args.realtime,
    )
    await pool.start()
    if args.nice:
        for pid in [p.pid for p in pool.processes if p.pid] + [os.getpid()]:
            os.setpriority(os.PRIO_PROCESS, pid, args.nice)
    # The workers render the menu's fixed prompts in the background after they start: let
    # that finish, or the first step measures espeak-ng rather than the line.
    await asyncio.sleep(args.settle)
    try:
        for calls in (int(n) for n in args.calls.split(",")):
            pids = [p.pid for p in pool.processes if p.pid] + [os.getpid()]
            before = [_cpu_seconds(pid) for pid in pids]
            since = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
            result = await menu_step(pool.address, calls, args.probes, work)
            await asyncio.sleep(3.0)  # the last call records are written as calls end
            used = [_cpu_seconds(pid) - b for pid, b in zip(pids, before, strict=True)]
            result["walked_whole_path"] = _menu_calls_walked(data_dir / "careline.db", since)
            result["server_cpu_s"] = [round(u, 1) for u in used]
            result["cpu_per_call_pct"] = round(
                100 * sum(used) / max(2 * calls * MENU_SECONDS, 1), 4
            )
            print(json.dumps(result), flush=True)  # noqa: T201 - the bench's output
            await asyncio.sleep(5.0)
    finally:
        await pool.stop()


def main() -> None:
    """Parse arguments; ``probe`` runs the probe generator, otherwise the load run."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "mode", nargs="?", default="load", choices=["load", "probe", "menu", "menu-probe"]
    )
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--calls", default="200,400,800,1200")
    parser.add_argument("--calls-n", type=int, default=40)
    parser.add_argument("--probes", type=int, default=40)
    parser.add_argument("--log-level", default="warning", help="voice workers' log level")
    parser.add_argument("--nice", type=int, default=0, help="niceness of workers and front")
    parser.add_argument(
        "--realtime",
        type=int,
        default=0,
        help="workers' SCHED_RR priority (voice_realtime_priority)",
    )
    parser.add_argument("--port", type=int, default=5060)
    parser.add_argument("--spacing", type=float, default=0.2)
    parser.add_argument("--work", default="/tmp/careline-ivr-load")
    parser.add_argument(
        "--sipp-realtime",
        type=int,
        default=0,
        help="SIPp's SCHED_RR priority (chrt), so real-time workers do not starve it",
    )
    parser.add_argument(
        "--caller-audio",
        choices=sorted(SCENARIOS),
        default="stream",
        help="how SIPp sends the callers' audio: its RTP streamer, or its pcap player",
    )
    parser.add_argument("--settle", type=float, default=20.0, help="menu: seconds before step 1")
    args = parser.parse_args()
    import uvloop

    if args.mode == "probe":
        result = uvloop.run(probe_many(("127.0.0.1", args.port), args.calls_n, args.spacing))
        print(json.dumps(result), flush=True)  # noqa: T201 - read by the load run
    elif args.mode == "menu-probe":
        from ivr_menu_probe import menu_probe_many

        server = ("127.0.0.1", args.port)
        result = uvloop.run(menu_probe_many(server, args.calls_n, args.spacing))
        print(json.dumps(result), flush=True)  # noqa: T201 - read by the menu run
    elif args.mode == "menu":
        uvloop.run(load_menu(args))
    else:
        uvloop.run(load(args))


if __name__ == "__main__":
    main()
