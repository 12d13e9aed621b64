"""Fixtures: IVR services on the test database and a way to run one scripted call."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.db.uow import UnitOfWork
from careline.ivr.engine import IvrEngine
from careline.ivr.model import CallRecord
from careline.ivr.service import get_call_record
from careline.ivr.session import IvrServices
from careline.kit.clock import FakeClock
from tests.unit.ivr.fakes import MOBILE, FakeCall

RunCall = Callable[..., Awaitable[tuple[FakeCall, CallRecord]]]


@pytest.fixture
def services(engine: AsyncEngine, tmp_path: Path) -> IvrServices:
    return IvrServices(db=engine, clock=FakeClock(), data_dir=tmp_path)


@pytest.fixture
def ivr(services: IvrServices) -> IvrEngine:
    return IvrEngine(services)


@pytest.fixture
def run_call(ivr: IvrEngine, engine: AsyncEngine) -> RunCall:
    async def run(
        script: list[str], caller: str = MOBILE, **extra: float
    ) -> tuple[FakeCall, CallRecord]:
        call = FakeCall(script, caller=caller, **extra)
        await ivr(call)
        async with UnitOfWork(engine) as uow:
            record = await get_call_record(uow, call_id=call.id)
        return call, record

    return run
