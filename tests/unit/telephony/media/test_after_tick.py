"""The media engine's after-tick hook: called between ticks, never fatal to the tick."""

from __future__ import annotations

import asyncio

import pytest

from careline.telephony.media import MediaEngine

pytestmark = pytest.mark.asyncio


async def test_the_hook_runs_after_the_ticks_and_a_failing_hook_does_not_stop_them() -> None:
    engine = MediaEngine("127.0.0.1", 41000, 41010)
    seen: list[tuple[float, int]] = []

    def hook(now: float) -> None:
        seen.append((now, engine.ticks))
        if len(seen) == 2:
            raise RuntimeError("a faulty hook")

    engine.after_tick = hook
    await engine.start()
    await asyncio.sleep(0.2)
    await engine.stop()
    assert len(seen) >= 5  # about one per 20 ms tick, the failure notwithstanding
    assert all(ticks >= 1 for _, ticks in seen)  # each call comes after a tick has run
    assert [now for now, _ in seen] == sorted(now for now, _ in seen)
