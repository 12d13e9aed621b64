"""Micro-benchmark of the media engine's shared tick over real loopback sockets.

Opens N streams in pairs that talk to each other (so every stream both sends and receives
50 packets/s, as a call leg does against a phone), plays a prompt on half of them, and
reports the CPU used and how late each tick started against its schedule.

    .venv/bin/python bench/media_tick.py --streams 1200 --seconds 10 --loop uvloop
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import socket
import statistics
import struct
import time

import numpy as np
import uvloop

from careline.telephony.media import COMPILED, Codec, MediaEngine, Prompt
from careline.telephony.media.core import StreamCore

SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)


class Sink:
    """A plain socket a sampled stream sends to; notes each packet's kernel arrival time."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)
        self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.stamps: list[float] = []
        loop.add_reader(self.sock.fileno(), self._readable)

    def _readable(self) -> None:
        with contextlib.suppress(BlockingIOError):
            while True:
                _, ancillary, _, _ = self.sock.recvmsg(2048, 64)
                for level, kind, data in ancillary:
                    if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                        seconds, nanos = struct.unpack("qq", data[:16])
                        self.stamps.append(seconds + nanos / 1e9)


def send_jitter(stamps: list[float]) -> list[float]:
    """Return |spacing - 20 ms| for consecutive packets of one stream."""
    return [abs(b - a - 0.02) for a, b in zip(stamps, stamps[1:], strict=False)]


class TickTimer:
    """How late each round of ticks started and how long it ran (the after-tick hook)."""

    def __init__(self, engine: MediaEngine) -> None:
        self.engine = engine
        self.lateness: list[float] = []
        self.durations: list[float] = []
        self._ticks = 0
        engine.after_tick = self

    def __call__(self, now: float) -> None:
        pacer = self.engine.pacer
        if self.engine.ticks == self._ticks:
            return  # woken before the deadline: no tick ran
        self._ticks = self.engine.ticks
        if pacer is not None:
            # The pacer has moved past the round; its last deadline is one interval before.
            self.lateness.append(now - (pacer.next_deadline - pacer.interval))
        self.durations.append(time.monotonic() - now)


def pure_costs(streams: int) -> tuple[float, float]:
    """Return microseconds per stream-tick and per received packet, without sockets."""
    cores = []
    for index in range(streams):
        core = StreamCore(now=0.0)
        core.configure(
            remote=("127.0.0.1", 40000 + index),
            codec=Codec.PCMA,
            payload_type=8,
            dtmf_payload_type=101,
        )
        cores.append(core)
    start = time.perf_counter()
    for step in range(100):
        for core in cores:
            core.tick(step * 0.02)
    per_tick = (time.perf_counter() - start) / (100 * streams) * 1e6
    sender, receiver = cores[0], cores[1]
    packets = [sender.tick(k * 0.02) for k in range(5000)]
    addr = ("127.0.0.1", 40000)
    start = time.perf_counter()
    for k, packet in enumerate(packets):
        if packet is not None:
            receiver.receive_rtp(packet, addr, k * 0.02)
    per_packet = (time.perf_counter() - start) / len(packets) * 1e6
    return per_tick, per_packet


async def run(streams: int, seconds: float, port_base: int) -> None:
    engine = MediaEngine("127.0.0.1", port_base, port_base + 2 * streams + 400, rtp_timeout=60)
    timer = TickTimer(engine)
    await engine.start()
    opened = [await engine.open_stream() for _ in range(streams)]
    t = np.arange(8000 * 30) / 8000
    prompt = Prompt((6000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16), name="tone")
    prompt.encoded(Codec.PCMA)
    for a, b in zip(opened[::2], opened[1::2], strict=True):
        a.configure(
            remote=("127.0.0.1", b.local_port),
            codec=Codec.PCMA,
            payload_type=8,
            dtmf_payload_type=101,
        )
        b.configure(
            remote=("127.0.0.1", a.local_port),
            codec=Codec.PCMA,
            payload_type=8,
            dtmf_payload_type=101,
        )
    players = [asyncio.ensure_future(s.play(prompt)) for s in opened[::2]]
    # 40 of the playing streams send to plain sockets that timestamp each arrival; their
    # partners hang up, or symmetric RTP would turn the sound back to them.
    loop = asyncio.get_running_loop()
    sinks = []
    step = max(len(opened) // 40, 2)
    for stream, partner in zip(opened[::step], opened[1::step], strict=False):
        partner.close()
        sink = Sink(loop)
        stream.configure(
            remote=sink.sock.getsockname(),
            codec=Codec.PCMA,
            payload_type=8,
            dtmf_payload_type=101,
        )
        sinks.append(sink)
    await asyncio.sleep(1.0)  # settle
    timer.lateness.clear()
    timer.durations.clear()
    for sink in sinks:
        sink.stamps.clear()
    cpu, wall = time.process_time(), time.monotonic()
    await asyncio.sleep(seconds)
    cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    received = sum(s.core.rtcp.stats.received if s.core.rtcp.stats else 0 for s in opened)
    for player in players:
        player.cancel()
    await engine.stop()
    for sink in sinks:
        loop.remove_reader(sink.sock.fileno())
        sink.sock.close()
    late = sorted(timer.lateness)
    dur = sorted(timer.durations)

    def pct(values: list[float], q: float) -> float:
        return values[min(int(q * len(values)), len(values) - 1)] * 1e3

    print(f"streams={streams} rounds of ticks={len(late)} (ticks due {int(seconds / 0.02)})")
    print(
        f"cpu {100 * cpu / wall:.1f}% of one core; {1e6 * cpu / wall / streams:.1f} µs/s per stream"
    )
    print(
        f"tick start lateness ms: p50 {pct(late, 0.5):.2f} p99 {pct(late, 0.99):.2f} "
        f"max {pct(late, 1.0):.2f}"
    )
    print(
        f"tick duration ms: p50 {pct(dur, 0.5):.2f} p99 {pct(dur, 0.99):.2f} "
        f"mean {statistics.fmean(dur) * 1e3:.2f}"
    )
    # A stream's packet leaves at tick start + its place in the tick; the jitter of its
    # spacing is bounded by the spread of (lateness + duration).
    send = sorted(a + b for a, b in zip(timer.lateness, timer.durations, strict=True))
    print(f"worst send offset ms: p99 {pct(send, 0.99):.2f}")
    jitter = sorted(j for sink in sinks for j in send_jitter(sink.stamps))
    print(
        f"RTP send jitter over {len(sinks)} sampled streams, ms: p50 {pct(jitter, 0.5):.2f} "
        f"p99 {pct(jitter, 0.99):.2f} max {pct(jitter, 1.0):.2f}"
    )
    print(f"packets received {received} ({received / streams / 50:.1f} s worth per stream)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--streams", type=int, default=1200)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--loop", choices=["uvloop", "asyncio"], default="uvloop")
    args = parser.parse_args()
    per_tick, per_packet = pure_costs(1000)
    print(f"media engine compiled: {COMPILED}")
    print(f"core: {per_tick:.2f} µs per stream-tick, {per_packet:.2f} µs per packet received")
    factory = uvloop.new_event_loop if args.loop == "uvloop" else asyncio.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(run(args.streams, args.seconds, random.randrange(20000, 40000, 2)))


if __name__ == "__main__":
    main()
