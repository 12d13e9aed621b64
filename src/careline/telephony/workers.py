"""Voice workers: one process per core, each with its own event loop, media and RTP ports.

``VoicePool`` (in the main process) binds the SIP port through :class:`SipFront` and
starts ``workers`` processes. Each worker runs a :class:`VoiceServer` on uvloop whose SIP
socket is a relay to the front (see ``sip/dispatch.py``) and whose media engine owns its
own slice of the RTP port range, so RTP never crosses processes. One worker means no
front: the server binds the SIP port itself (UDP and TCP), as a single process.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import multiprocessing
import os
import signal
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import structlog

from careline.telephony.collector import TickCollector
from careline.telephony.front import SipFront
from careline.telephony.line_report import LineReport
from careline.telephony.registrar import BindingChange, InMemoryExtensionDirectory
from careline.telephony.server import VoiceServer
from careline.telephony.sip.dispatch import (
    Address,
    binding_message,
    binding_of,
    hello,
    report_message,
    unwrap,
    wrap,
)

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess

    from careline.bootstrap import Careline
    from careline.config import Settings
    from careline.telephony.calls import Flow

log = structlog.get_logger(__name__)
_SUPERVISE_EVERY = 0.5  # seconds between checks that every worker is alive
_RESTART_EVERY = 5.0  # seconds: a worker that keeps dying is started again at most this often


def port_slices(port_min: int, port_max: int, workers: int) -> list[tuple[int, int]]:
    """Split an RTP port range into ``workers`` disjoint ranges of even/odd pairs."""
    first = port_min + (port_min % 2)
    pairs = (port_max - first + 1) // 2
    if pairs < workers:
        raise ValueError("the RTP port range has fewer port pairs than voice workers")
    share = pairs // workers
    return [(first + 2 * share * i, first + 2 * share * (i + 1) - 1) for i in range(workers)]


def load_flow(path: str) -> Flow:
    """Import an entry flow given as ``package.module:function``."""
    module, _, name = path.partition(":")
    flow: Flow = getattr(importlib.import_module(module), name)
    return flow


@dataclass(frozen=True)
class WorkerSpec:
    """What a worker process needs: picklable, passed at spawn."""

    index: int
    relay: Address
    public: Address
    rtp_port_min: int
    rtp_port_max: int
    settings: Settings | None = None
    entry_flow: str | None = None
    max_calls: int = 2000
    max_call_seconds: float = 3600.0
    rtp_timeout: float = 30.0
    log_level: str | None = None
    unlimited_sources: frozenset[str] = frozenset()
    realtime_priority: int = 0
    # Without settings (benches, tests): extension -> password; with settings the
    # extensions come from the database.
    extensions: dict[str, str] | None = None


class _WorkerRelay(asyncio.DatagramProtocol):
    """The worker's SIP socket: envelopes to and from the front."""

    def __init__(self, server: VoiceServer) -> None:
        self._server = server
        self._transport: Any = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport

    def sendto(self, payload: bytes, peer: Address) -> None:
        """Send a datagram to a phone through the front."""
        self._transport.sendto(wrap(peer, payload))

    def send_stream(self, payload: bytes, peer: Address) -> None:
        """Send a message to a phone on its TCP connection to the front."""
        self._transport.sendto(wrap(peer, payload, stream=True))

    def datagram_received(self, data: bytes, addr: Any) -> None:  # noqa: ARG002 - connected
        encoded = binding_of(data)
        if encoded is not None:
            # Another worker accepted a REGISTER: this worker can ring that extension too.
            change = BindingChange.decode(encoded)
            if change is not None:
                self._server.registrar.apply(change, self._server.stack.now)
                if change.stream and change.source is not None and change.remaining > 0:
                    self._server.stack.mark_stream_peer(change.source)
            return
        envelope = unwrap(data)
        if envelope is None:
            return
        if envelope.stream:
            self._server.stack.stream_received(envelope.payload, envelope.peer)
        else:
            self._server.stack.datagram_received(envelope.payload, envelope.peer)

    def share_binding(self, change: BindingChange) -> None:
        """Pass a registration this worker accepted to the others, through the front."""
        self._transport.sendto(binding_message(change.encode()))

    def report(self, report: LineReport) -> None:
        """Send this worker's figures to the front, which publishes the line's sum."""
        self._transport.sendto(report_message(report.encode()))

    def announce(self, index: int) -> None:
        """Tell the front which worker this socket belongs to."""
        self._transport.sendto(hello(index))

    def close(self) -> None:
        self._transport.close()


async def _relay_to_front(server: VoiceServer, spec: WorkerSpec) -> _WorkerRelay:
    """Swap the server's own SIP socket for the relay to the front; announce the worker."""
    await server.stack.stop()  # the ephemeral port it bound at start is not used
    loop = asyncio.get_running_loop()
    _, relay = await loop.create_datagram_endpoint(
        lambda: _WorkerRelay(server), remote_addr=spec.relay
    )
    server.stack.adopt(relay, spec.public)
    server.host, server.port = spec.public  # Contact and Via name the front's SIP port
    server.registrar.on_change = relay.share_binding
    relay.announce(spec.index)
    log.info("voice_worker_started", worker=spec.index)
    return relay


async def _start_server(
    spec: WorkerSpec, careline: Careline | None
) -> tuple[VoiceServer, _WorkerRelay]:
    """Start the worker's VoiceServer on an ephemeral SIP port, built as in one process."""
    flow = load_flow(spec.entry_flow) if spec.entry_flow else None
    if spec.settings is not None:
        from careline.telephony.runtime import start_phone_line

        # The same builder as a single process (IVR, speech, extensions from the database),
        # with this worker's share of RTP ports and calls.
        local = spec.settings.model_copy(
            update={
                "sip_port": 0,
                "rtp_port_min": spec.rtp_port_min,
                "rtp_port_max": spec.rtp_port_max,
                "max_calls": spec.max_calls,
                # The outbound line in the main process checks the trunk, once.
                "trunk_check_seconds": 0.0,
            }
        )
        server = await start_phone_line(local, careline, entry_flow=flow)
    else:
        server = VoiceServer(
            host=spec.public[0],
            port=0,
            rtp_port_min=spec.rtp_port_min,
            rtp_port_max=spec.rtp_port_max,
            max_calls=spec.max_calls,
            max_call_seconds=spec.max_call_seconds,
            rtp_timeout=spec.rtp_timeout,
            entry_flow=flow,
            extensions=InMemoryExtensionDirectory(spec.extensions),
        )
        await server.start()
    exempt_sources(server, spec.unlimited_sources)
    return server, await _relay_to_front(server, spec)


def run_in_real_time(priority: int, what: str) -> None:
    """Schedule this process round-robin at real-time ``priority`` (0: leave it as it is).

    Media is paced every 20 ms: a worker woken by the tick or by RTP then runs ahead of
    ordinary processes (batch work, the web server, a load generator) instead of waiting
    for its time slice, as Asterisk's ``-p`` and FreeSWITCH's ``-rp`` do. The kernel
    keeps 5 % of each second for others (``sched_rt_runtime_us``). Needs root or
    CAP_SYS_NICE; without it Careline says so and runs at normal priority.
    """
    if priority <= 0:
        return
    # Processes it starts (espeak-ng) go back to normal scheduling.
    policy = os.SCHED_RR | os.SCHED_RESET_ON_FORK
    try:
        os.sched_setscheduler(0, policy, os.sched_param(priority))
    except OSError as exc:  # PermissionError without the privilege
        log.warning("realtime_priority_refused", process=what, error=str(exc))
        return
    log.info("realtime_priority_set", process=what, priority=priority)


def exempt_sources(server: VoiceServer, sources: frozenset[str]) -> None:
    """Never rate-limit ``sources`` in this worker (whichever way its server was built)."""
    # The limiter is shared by the endpoint and access control: widen it in place.
    server.limiter.exempt = server.limiter.exempt | sources


async def _serve(spec: WorkerSpec) -> None:
    careline = None
    if spec.settings is not None:
        from careline.bootstrap import bootstrap

        careline = bootstrap(spec.settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    parent = os.getppid()
    run_in_real_time(spec.realtime_priority, f"voice worker {spec.index}")
    server, relay = await _start_server(spec, careline)
    # Modules, prompts and tables loaded so far live as long as the worker: keep them out
    # of the collector's full passes, and collect only between media ticks.
    gc.freeze()
    collector = TickCollector(busy=lambda: server.media.active_streams > 0)
    collector.install()
    server.media.after_tick = collector.after_tick
    try:
        # Poll for the parent too: a worker must not outlive a killed main process.
        while not stop.is_set() and os.getppid() == parent:
            relay.report(LineReport.of(server))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)
    finally:
        pacer = server.media.pacer
        if pacer is not None:
            log.info(
                "voice_worker_stopping",
                worker=spec.index,
                ticks=server.media.ticks,
                late_ticks=pacer.late_ticks,
                resyncs=pacer.resyncs,
                collections=collector.collections,
            )
        await server.stop()
        if careline is not None:
            await careline.close()


def worker_main(spec: WorkerSpec) -> None:
    """Run one voice worker until SIGTERM (the target of the worker process)."""
    import uvloop

    level = spec.log_level or (spec.settings.log_level if spec.settings else None)
    if level is not None:
        from careline.logging import configure_logging

        configure_logging(level, stream=sys.stderr)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(_serve(spec))


def _spawn(spec: WorkerSpec) -> BaseProcess:
    context = multiprocessing.get_context("spawn")
    process = context.Process(
        target=worker_main, args=(spec,), name=f"careline-voice-{spec.index}", daemon=True
    )
    process.start()
    return process


class VoicePool:
    """The front on the SIP port and ``workers`` voice worker processes behind it."""

    def __init__(
        self,
        workers: int,
        *,
        host: str,
        port: int,
        rtp_port_min: int,
        rtp_port_max: int,
        settings: Settings | None = None,
        entry_flow: str | None = None,
        max_calls: int = 2000,
        max_call_seconds: float = 3600.0,
        rtp_timeout: float = 30.0,
        log_level: str | None = None,
        unlimited_sources: frozenset[str] = frozenset(),
        realtime_priority: int = 0,
        extensions: dict[str, str] | None = None,
    ) -> None:
        self.front = SipFront(workers, pin_idle_seconds=max_call_seconds + 100.0)
        self._extensions = extensions
        self._realtime = realtime_priority
        self.workers = workers
        self._host, self._port = host, port
        self._slices = port_slices(rtp_port_min, rtp_port_max, workers)
        self._settings = settings
        self._entry_flow = entry_flow
        self._max_calls = max(1, max_calls // workers)
        self._max_call_seconds = max_call_seconds
        self._rtp_timeout = rtp_timeout
        self._log_level = log_level
        self._unlimited = unlimited_sources
        self.processes: list[BaseProcess] = []
        self.address: Address = (host, port)
        self.restarts = 0  # workers started again after they died
        self._specs: list[WorkerSpec] = []
        self._restarted_at: dict[int, float] = {}
        self._supervisor: asyncio.Task[None] | None = None

    async def start(self, ready_timeout: float = 30.0) -> None:
        """Bind the SIP port, start the workers and wait until each has announced itself."""
        self.address, relay = await self.front.start(self._host, self._port)
        # Voice workers are single-threaded by design: keep numpy's BLAS to one thread.
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
        for index, (low, high) in enumerate(self._slices):
            spec = WorkerSpec(
                index,
                relay,
                self.address,
                low,
                high,
                settings=self._settings,
                entry_flow=self._entry_flow,
                max_calls=self._max_calls,
                max_call_seconds=self._max_call_seconds,
                rtp_timeout=self._rtp_timeout,
                log_level=self._log_level,
                unlimited_sources=self._unlimited,
                realtime_priority=self._realtime,
                extensions=self._extensions,
            )
            self._specs.append(spec)
            self.processes.append(_spawn(spec))
        if not await self.front.wait_ready(ready_timeout):
            await self.stop()
            raise RuntimeError("voice workers did not start in time")
        self._supervisor = asyncio.get_running_loop().create_task(self._supervise())
        log.info("voice_pool_started", workers=self.workers, port=self.address[1])

    async def _supervise(self) -> None:
        """Start a worker again when it dies, so its share of the calls is answered again.

        Its calls in progress are lost with it; until the new one announces itself the
        front drops its share of requests, which phones retransmit. A worker that keeps
        dying is started again at most every ``_RESTART_EVERY`` seconds.
        """
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(_SUPERVISE_EVERY)
            for index, process in enumerate(self.processes):
                if process.is_alive():
                    continue
                if self.front.worker_gone(index):
                    log.error("voice_worker_died", worker=index, exitcode=process.exitcode)
                last = self._restarted_at.get(index)
                if last is not None and loop.time() - last < _RESTART_EVERY:
                    continue
                self._restarted_at[index] = loop.time()
                self.processes[index] = _spawn(self._specs[index])
                self.restarts += 1
                log.warning("voice_worker_restarted", worker=index)

    def report(self) -> LineReport:
        """Return the line's figures: the workers' latest reports, summed by the front."""
        return self.front.report().model_copy(update={"worker_restarts": self.restarts})

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop the workers (SIGTERM, then SIGKILL after ``timeout``) and the front."""
        supervisor, self._supervisor = self._supervisor, None
        if supervisor is not None:
            supervisor.cancel()
            await asyncio.gather(supervisor, return_exceptions=True)
        for process in self.processes:
            if process.is_alive():
                process.terminate()
        loop = asyncio.get_running_loop()
        for process in self.processes:
            await loop.run_in_executor(None, process.join, timeout)
            if process.is_alive():
                process.kill()
                await loop.run_in_executor(None, process.join, 1.0)
        self.processes.clear()
        await self.front.stop()


async def start_voice_pool(settings: Settings, workers: int) -> VoicePool:
    """Start ``workers`` voice workers behind the configured SIP port (``careline serve``)."""
    pool = VoicePool(
        workers,
        host=settings.sip_host,
        port=settings.sip_port,
        rtp_port_min=settings.rtp_port_min,
        rtp_port_max=settings.rtp_port_max,
        settings=settings,
        max_calls=settings.max_calls,
        max_call_seconds=settings.max_call_seconds,
        rtp_timeout=settings.rtp_timeout_seconds,
        realtime_priority=settings.voice_realtime_priority,
    )
    await pool.start()
    return pool


__all__ = [
    "VoicePool",
    "WorkerSpec",
    "load_flow",
    "start_voice_pool",
    "exempt_sources",
    "port_slices",
    "worker_main",
]
