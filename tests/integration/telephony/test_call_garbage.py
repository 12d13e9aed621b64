"""An ended call is freed by reference counting alone: no cycle waits for the collector.

A call left in a reference cycle lives until CPython's full collection, whose pause grows
with every call in progress and stalls the media tick of all of them.
"""

from __future__ import annotations

import asyncio
import gc
import types
import weakref
from typing import Any

import pytest
import uvloop

from careline.telephony.calls import Call
from careline.telephony.media import MediaStream
from careline.telephony.server import VoiceServer
from tests.integration.telephony.phones import voice_server
from tests.integration.telephony.sipclient import Dialogue, RawSip, sdp

pytestmark = pytest.mark.sip


def _streams() -> int:
    # The media classes may be compiled (no weak references): count them instead.
    return sum(type(item) is MediaStream for item in gc.get_objects())


def _holders(items: list[Any]) -> list[str]:
    """Name what still refers to each live item: a coroutine by its function and line."""
    names = []
    for item in items:
        if item is None:
            continue
        for holder in gc.get_referrers(item):
            if holder is items:
                continue
            if isinstance(holder, types.CoroutineType):
                frame = holder.cr_frame
                line = frame.f_lineno if frame is not None else 0
                waiting = type(holder.cr_await).__name__
                names.append(f"{holder.cr_code.co_qualname}:{line} awaiting {waiting}")
            elif isinstance(holder, types.CellType):
                owners = [
                    getattr(owner, "__qualname__", type(owner).__name__)
                    for owner in gc.get_referrers(holder)
                ]
                names.append(f"cell of {owners}")
            else:
                names.append(type(holder).__name__)
    return names


def test_an_ended_call_is_freed_without_the_garbage_collector() -> None:
    kept: list[weakref.ref[Any]] = []
    streams: list[int] = []

    async def flow(call: Call) -> None:
        kept.extend([weakref.ref(call), weakref.ref(call.leg)])
        streams.append(_streams())
        await call.answer()
        await call.wait_ended()

    async def scenario(server: VoiceServer, client: RawSip) -> None:
        dialogue = Dialogue(client, server.address)
        dialogue.send(dialogue.request("INVITE", body=sdp()))
        dialogue.learn_tag(await client.expect("200"))
        dialogue.ack(1)
        # Past one housekeeping round (every second), which walks the calls in progress.
        await asyncio.sleep(1.2)
        dialogue.send(dialogue.request("BYE", cseq=2))
        await client.expect("200")
        for _ in range(250):  # up to 5 s: the loop may be slow on a busy machine
            await asyncio.sleep(0.02)
            if all(ref() is None for ref in kept) and _streams() == 0:
                break

    async def main() -> None:
        async with voice_server(flow) as server:
            client = await RawSip.open()
            gc.collect()
            gc.disable()  # only reference counting frees the call from here on
            try:
                await scenario(server, client)
                alive = [type(ref()).__name__ for ref in kept if ref() is not None]
                alive += ["MediaStream"] * _streams()
                holders = _holders([ref() for ref in kept])
            finally:
                gc.enable()
                client.close()
        assert len(kept) == 2
        assert streams == [1]  # the call's stream was counted while it lived
        assert alive == [], f"still referenced by {holders}"

    uvloop.run(main())
