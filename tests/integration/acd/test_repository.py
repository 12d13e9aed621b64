"""The acd service's storage on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.acd import service
from careline.acd.model import CallbackStatus, CallRecord, Outcome
from careline.db.uow import UnitOfWork
from careline.kit.clock import FakeClock
from careline.staff.model import Role
from tests.conftest import make_staff


@pytest.mark.asyncio
async def test_queues_profiles_records_and_callbacks_round_trip(any_engine: AsyncEngine) -> None:
    clock = FakeClock()
    agent = await make_staff(any_engine, "store.agent", Role.AGENT)
    async with UnitOfWork(any_engine) as uow:
        await service.save_queue(uow, name="members", skills="member:2", max_wait_seconds=120)
        await service.save_queue(uow, name="members", skills="member:3", opens="08:00")
        (queue,) = await service.list_queues(uow)
        assert (dict(queue.skills), queue.max_wait_seconds) == ({"member": 3}, 600.0)
        assert queue.hours.opens.hour == 8
        await service.save_profile(
            uow, staff_id=agent.id, skills={"member": 4}, queues=["members"], clock=clock
        )
        await service.save_profile(
            uow, staff_id=agent.id, skills={"zh": 5}, queues=["general"], clock=clock
        )
        profile = await service.get_profile(uow, staff_id=agent.id)
        assert (dict(profile.skills), profile.queues) == ({"zh": 5}, ("general",))
        offered = clock.now()
        record = CallRecord("c1", "members", offered, caller="13800000000", ivr_path=("main",))
        await service.open_call_record(uow, record=record)
        await service.update_call_record(
            uow,
            call_id="c1",
            answered_at=offered + timedelta(seconds=8),
            ended_at=offered + timedelta(seconds=68),
            agent_id=agent.id,
            outcome="answered",
        )
        (stored,) = await service.records_since(uow, since=offered - timedelta(minutes=1))
        assert stored.outcome == Outcome.ANSWERED
        assert stored.ivr_path == ("main",)
        assert stored.answered_at == offered + timedelta(seconds=8)
        callback = await service.request_callback(
            uow, call_id="c2", queue="members", number="13900001111", clock=clock
        )
        assert callback.id is not None
        assert await service.claim_callback(uow, callback_id=callback.id, staff_id=agent.id)
        assert not await service.claim_callback(uow, callback_id=callback.id, staff_id=agent.id)
        (open_one,) = await service.open_callbacks(uow)
        assert open_one.status == CallbackStatus.OFFERED
        await service.complete_callback(
            uow, callback_id=callback.id, staff_id=agent.id, clock=clock
        )
        assert await service.open_callbacks(uow) == []


@pytest.mark.asyncio
async def test_recordings_past_retention_are_deleted_and_records_kept(
    any_engine: AsyncEngine, tmp_path: Path
) -> None:
    clock = FakeClock()
    old, new = tmp_path / "old.wav", tmp_path / "new.wav"
    old.write_bytes(b"RIFF")
    new.write_bytes(b"RIFF")
    async with UnitOfWork(any_engine) as uow:
        for call_id, age, path in (("old", 200, old), ("new", 10, new)):
            at = clock.now() - timedelta(days=age)
            record = CallRecord(call_id, "general", at, recording_path=str(path))
            await service.open_call_record(uow, record=record)
        assert await service.purge_recordings(uow, clock=clock, retention_days=180) == 1
        records = await service.records_since(uow, since=clock.now() - timedelta(days=365))
    assert [(r.call_id, r.recording_path) for r in records] == [("old", None), ("new", str(new))]
    assert not old.exists()
    assert new.exists()
