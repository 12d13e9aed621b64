"""Micro-benchmark of the media engine's shared tick over real loopback sockets.

Opens N streams in pairs that talk to each other (so every stream both sends and receives
50 packets/s, as a call leg does against a phone), plays a prompt on half of them, and
reports the CPU used and how late each tick started against its schedule.

    .venv/bin/python bench/media_tick.py --streams 1200 --seconds 10 --loop uvloop
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time

import numpy as np
import uvloop

from careline.telephony.media import Codec, MediaEngine, MediaStream, Prompt
from careline.telephony.media.core import StreamCore


class StampingSender:
    """Stand in for a stream's ``send_rtp`` and note when each packet left (a sample)."""

    def __init__(self, stream: MediaStream) -> None:
        self.inner = stream.send_rtp
        self.stamps: list[float] = []
        stream.send_rtp = self  # type: ignore[method-assign]

    def __call__(self, data: bytes) -> None:
        self.stamps.append(time.monotonic())
        self.inner(data)


def send_jitter(stamps: list[float]) -> list[float]:
    """Return |spacing - 20 ms| for consecutive packets of one stream."""
    return [abs(b - a - 0.02) for a, b in zip(stamps, stamps[1:], strict=False)]


class TimedEngine(MediaEngine):
    """Record when each tick starts and how long it runs."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lateness: list[float] = []
        self.durations: list[float] = []

    def tick(self, now: float) -> None:
        start = time.monotonic()
        if self.pacer is not None:
            # The pacer has moved past the tick being run; its own deadline is one before.
            self.lateness.append(start - (self.pacer.next_deadline - self.pacer.interval))
        super().tick(now)
        self.durations.append(time.monotonic() - start)


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
    engine = TimedEngine("127.0.0.1", port_base, port_base + 2 * streams + 400, rtp_timeout=60)
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
    sampled = opened[:: max(len(opened) // 40, 1)]
    stampers = []
    for stream in sampled:
        stampers.append(StampingSender(stream))
    await asyncio.sleep(1.0)  # settle
    engine.lateness.clear()
    engine.durations.clear()
    for stamper in stampers:
        stamper.stamps.clear()
    cpu, wall = time.process_time(), time.monotonic()
    await asyncio.sleep(seconds)
    cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    received = sum(s.core.rtcp.stats.received if s.core.rtcp.stats else 0 for s in opened)
    for player in players:
        player.cancel()
    await engine.stop()
    late = sorted(engine.lateness)
    dur = sorted(engine.durations)

    def pct(values: list[float], q: float) -> float:
        return values[min(int(q * len(values)), len(values) - 1)] * 1e3

    print(f"streams={streams} ticks={len(late)} (expected {int(seconds / 0.02)})")
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
    send = sorted(a + b for a, b in zip(engine.lateness, engine.durations, strict=True))
    print(f"worst send offset ms: p99 {pct(send, 0.99):.2f}")
    jitter = sorted(j for stamper in stampers for j in send_jitter(stamper.stamps))
    print(
        f"RTP send jitter over {len(stampers)} sampled streams, ms: p50 {pct(jitter, 0.5):.2f} "
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
    print(f"pure core: {per_tick:.2f} µs per stream-tick, {per_packet:.2f} µs per packet received")
    factory = uvloop.new_event_loop if args.loop == "uvloop" else asyncio.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(run(args.streams, args.seconds, random.randrange(20000, 40000, 2)))


if __name__ == "__main__":
    main()
