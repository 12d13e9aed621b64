"""The bridged-call mixer and the in-process event bus."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from careline.acd.events import AcdEvent, CallQueued, InProcessBus
from careline.telephony.bridge_recording import mix

AT = datetime(2026, 11, 25, tzinfo=UTC)


def test_each_direction_is_laid_back_to_back_and_the_two_are_summed() -> None:
    frame = np.full(160, 100, dtype=np.int16)
    # Jittery arrivals (19 ms, 21 ms) must not overlap frames of the same direction.
    one = [(0.0, frame), (0.019, frame), (0.040, frame)]
    other = [(0.0, frame * 2), (0.021, frame * 2)]
    pcm = mix(one, other)
    assert len(pcm) == 480
    assert list(pcm[[0, 200, 400]]) == [300, 300, 100]


def test_a_long_pause_in_one_direction_is_kept_as_silence() -> None:
    frame = np.full(160, 1000, dtype=np.int16)
    pcm = mix([(0.0, frame), (1.0, frame)])
    assert len(pcm) == 8000 + 160
    assert pcm[4000] == 0
    assert pcm[8000] == 1000


def test_loud_sums_are_clipped() -> None:
    frame = np.full(160, 30000, dtype=np.int16)
    assert mix([(0.0, frame)], [(0.0, frame)])[0] == 32767


def test_bus_delivers_to_subscribers_until_they_leave_and_survives_a_broken_one() -> None:
    bus = InProcessBus()
    got: list[AcdEvent] = []

    def broken(_: AcdEvent) -> None:
        raise RuntimeError("desk gone")

    bus.subscribe(broken)
    leave = bus.subscribe(got.append)
    first = CallQueued("c1", "general", AT)
    bus.publish(first)
    leave()
    bus.publish(CallQueued("c2", "general", AT))
    assert got == [first]
