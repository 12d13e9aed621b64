"""Silent monitoring: a supervisor hears both parties of a bridged call and is never heard.

While caller and agent are bridged the media engine relays their packets without decoding
them. Listening in taps both relays (as the recording does), decodes each 20 ms frame, pairs
the two directions' frames into one mixed frame and sends it on a leg Careline placed to the
supervisor's extension. That leg is put in relay mode towards a core that drops everything:
what the supervisor says reaches nobody, and the leg's own tick sends no comfort noise
between the mixed frames. The mixed frames are rewritten into the supervisor's stream
(SSRC, sequence, timestamp) by the core's own ``relay_in``, like any relayed packet.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import structlog

from careline.telephony.bridge_recording import audio_of
from careline.telephony.media import MediaStream
from careline.telephony.media.core import StreamCore
from careline.telephony.media.g711 import encode

if TYPE_CHECKING:
    from careline.telephony.calls import Call
    from careline.telephony.legs import Leg

log = structlog.get_logger(__name__)
LAG_FRAMES = 3  # a side that sends nothing (hold, silence suppression) holds up 60 ms at most
RING_SECONDS = 30.0
MEDIA_WAIT_SECONDS = 5.0
MONITOR_SSRC = 0x4D4F4E49  # the source the supervisor's stream sees; any constant does
_TS_MASK = 0xFFFFFFFF
_RUNNING: set[asyncio.Task[None]] = set()
Frame = npt.NDArray[np.int16]


def _sum(*frames: Frame) -> Frame:
    line = np.zeros(max(len(f) for f in frames), dtype=np.int32)
    for frame in frames:
        line[: len(frame)] += frame
    mixed: Frame = np.clip(line, -32768, 32767).astype(np.int16)
    return mixed


class FrameMixer:
    """Pair frames of two directions into mixed frames, without waiting on a silent side."""

    def __init__(self, lag_frames: int = LAG_FRAMES) -> None:
        self._lag = lag_frames
        self._sides: tuple[deque[Frame], deque[Frame]] = (deque(), deque())

    def push(self, side: int, frame: Frame) -> list[Frame]:
        """Take one direction's frame; return the mixed frames now ready to send."""
        self._sides[side].append(frame)
        first, second = self._sides
        ready = [
            _sum(first.popleft(), second.popleft()) for _ in range(min(len(first), len(second)))
        ]
        for one in self._sides:
            while len(one) > self._lag:  # the other side is quiet: do not fall behind
                ready.append(_sum(one.popleft()))
        return ready


class SilentMonitor:
    """Send the mix of a bridged call's two legs to a listener's stream until ``stop``."""

    def __init__(self, caller: MediaStream, agent: MediaStream, listener: MediaStream) -> None:
        self._out = listener
        self._mixer = FrameMixer()
        self._ts = 0
        # The supervisor's own audio is relayed to a leg with no remote, which drops it:
        # nobody hears the supervisor, and the listener's stream sends only the mix.
        self._discard = StreamCore(now=0.0)
        listener.core.set_relay(self._discard)
        self._untaps = [
            caller.tap_relay(lambda packet: self._take(0, packet)),
            agent.tap_relay(lambda packet: self._take(1, packet)),
        ]

    def _take(self, side: int, packet: bytes) -> None:
        pcm = audio_of(packet)
        if pcm is not None:
            for frame in self._mixer.push(side, pcm):
                self._send(frame)

    def _send(self, frame: Frame) -> None:
        core = self._out.core
        if core.codec is None or core.remote is None:
            return
        payload = encode(core.codec, frame)
        packet = core.relay_in(core.codec, False, 0, self._ts, MONITOR_SSRC, payload)
        self._ts = (self._ts + len(frame)) & _TS_MASK
        if packet is not None:
            self._out.send_rtp(packet)

    def stop(self) -> None:
        """Stop tapping the call; the listener's stream goes back to its own audio."""
        for untap in self._untaps:
            untap()
        self._untaps = []
        if self._out.core.relay is self._discard:
            self._out.core.set_relay(None)


def listen_in(call: Call, extension: str) -> bool:
    """Ring ``extension`` and let it hear the call silently; False when not bridged."""
    agent_leg = call.bridged_to
    if agent_leg is None or not call.is_active:
        return False
    task = asyncio.get_running_loop().create_task(_listen(call, agent_leg, extension))
    _RUNNING.add(task)
    task.add_done_callback(_RUNNING.discard)
    return True


async def _listen(call: Call, agent_leg: Leg, extension: str) -> None:
    status, code, leg = await call.host.dial_leg(
        extension, call.host.default_caller_id, RING_SECONDS
    )
    if leg is None:
        log.info("acd_listen_not_answered", call_id=call.id, status=status.value, code=code)
        return
    monitor: SilentMonitor | None = None
    ended: list[asyncio.Future[str]] = [leg.ended, agent_leg.ended, call.leg.ended]
    try:
        media = asyncio.ensure_future(leg.media_ready.wait())
        racing: list[asyncio.Future[Any]] = [media, *ended]
        await asyncio.wait(racing, timeout=MEDIA_WAIT_SECONDS, return_when=asyncio.FIRST_COMPLETED)
        media.cancel()
        if not any(f.done() for f in ended) and leg.media_ready.is_set():
            monitor = SilentMonitor(call.leg.stream, agent_leg.stream, leg.stream)
            log.info("acd_listen_started", call_id=call.id)
            await asyncio.wait(ended, return_when=asyncio.FIRST_COMPLETED)
    finally:
        if monitor is not None:
            monitor.stop()
        if not leg.ended.done():
            leg.hangup("monitor_over")


__all__ = ["FrameMixer", "SilentMonitor", "listen_in"]
