"""Call records and remembered languages on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.db.uow import UnitOfWork
from careline.ivr import service
from careline.ivr.model import CallRecord, Outcome
from careline.kit.clock import FakeClock


@pytest.mark.asyncio
async def test_records_are_listed_newest_first_and_counted(any_engine: AsyncEngine) -> None:
    clock = FakeClock()
    start = clock.now()
    async with UnitOfWork(any_engine) as uow:
        for index, outcome in enumerate(
            [Outcome.SELF_SERVED, Outcome.TO_AGENT, Outcome.SELF_SERVED]
        ):
            at = start + timedelta(minutes=index)
            await service.save_call_record(
                uow,
                record=CallRecord(
                    call_id=f"c{index}",
                    caller="13800138000",
                    started_at=at,
                    ended_at=at + timedelta(seconds=30),
                    language="en",
                    outcome=outcome,
                    path=("language", "main"),
                    keys="21",
                    prompts=("greeting", "main_menu"),
                ),
            )
    async with UnitOfWork(any_engine) as uow:
        listed = await service.list_call_records(uow)
        served = await service.list_call_records(uow, outcome=Outcome.SELF_SERVED)
        counts = await service.outcome_counts(uow, since=start)
        one = await service.get_call_record(uow, call_id="c1")
    assert [record.call_id for record in listed] == ["c2", "c1", "c0"]
    assert [record.call_id for record in served] == ["c2", "c0"]
    assert counts == {"self_served": 2, "to_agent": 1}
    assert one.path == ("language", "main")
    assert one.started_at == start + timedelta(minutes=1)


@pytest.mark.asyncio
async def test_language_choice_is_kept_per_caller(any_engine: AsyncEngine) -> None:
    clock = FakeClock()
    async with UnitOfWork(any_engine) as uow:
        await service.remember_language(uow, caller="138 0013 8000", language="en", clock=clock)
        await service.remember_language(uow, caller="+8613800138000", language="zh-CN", clock=clock)
        await service.remember_language(uow, caller="anonymous", language="en", clock=clock)
    async with UnitOfWork(any_engine) as uow:
        profile = await service.caller_profile(uow, caller="13800138000")
        nobody = await service.caller_profile(uow, caller="anonymous")
    assert profile.language == "zh-CN"
    assert nobody.language is None
