"""The tick collector: CPython's collections, run between media ticks instead."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from careline.telephony.collector import TickCollector


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the collector frees it


@pytest.fixture
def collector() -> Iterator[TickCollector]:
    thresholds = gc.get_threshold()
    collector = TickCollector(full_every=600.0)
    gc.collect()
    collector.install()
    try:
        yield collector
    finally:
        collector.uninstall()
        gc.set_threshold(*thresholds)


def _garbage_in_the_oldest_generation() -> weakref.ref[_Node]:
    node = _Node()
    gc.collect(1)  # still referenced: moved on to the oldest generation
    ref = weakref.ref(node)
    del node
    return ref


def test_install_turns_the_automatic_collector_off(collector: TickCollector) -> None:
    assert not gc.isenabled()
    collector.uninstall()
    assert gc.isenabled()
    collector.install()
    assert not gc.isenabled()


def test_a_young_collection_runs_after_a_tick_once_the_threshold_is_passed(
    collector: TickCollector,
) -> None:
    gc.set_threshold(100, 1_000_000, 10)
    collector.after_tick(0.0)
    before = list(collector.collections)
    node = _Node()
    ref = weakref.ref(node)
    del node
    collector.after_tick(0.02)
    assert ref() is not None  # below the threshold: nothing ran
    hold = [[] for _ in range(200)]  # tracked allocations push the young count past 100
    collector.after_tick(0.04)
    assert ref() is None
    assert collector.collections[0] == before[0] + 1
    assert collector.collections[2] == before[2]
    del hold


def test_the_middle_generation_is_collected_when_its_count_is_due(
    collector: TickCollector,
) -> None:
    gc.set_threshold(100, 2, 10)
    collector.after_tick(0.0)
    gc.collect(0)
    gc.collect(0)  # two young collections: the middle generation is due with the next
    hold = [[] for _ in range(200)]
    collector.after_tick(0.02)
    assert collector.collections[1] == 1
    del hold


def test_the_full_collection_waits_for_its_interval_while_calls_are_up() -> None:
    thresholds = gc.get_threshold()
    collector = TickCollector(full_every=60.0, busy=lambda: True)
    gc.collect()
    collector.install()
    try:
        ref = _garbage_in_the_oldest_generation()
        collector.after_tick(0.0)
        collector.after_tick(59.0)
        assert ref() is not None
        collector.after_tick(60.0)
        assert ref() is None
        assert collector.collections[2] == 1
    finally:
        collector.uninstall()
        gc.set_threshold(*thresholds)


def test_an_idle_worker_collects_everything_every_ten_seconds() -> None:
    calls = [1]
    collector = TickCollector(full_every=600.0, busy=lambda: calls[0] > 0)
    gc.collect()
    collector.install()
    try:
        ref = _garbage_in_the_oldest_generation()
        collector.after_tick(0.0)
        collector.after_tick(30.0)
        assert ref() is not None  # a call is up: not yet
        calls[0] = 0
        collector.after_tick(31.0)
        assert ref() is None
    finally:
        collector.uninstall()
