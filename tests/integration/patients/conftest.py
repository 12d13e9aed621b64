"""Fixtures for the patients context: a staff member (audit rows need one) and a clock."""

from __future__ import annotations

import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.db.uow import UnitOfWork
from careline.kit.clock import Clock
from careline.staff import service as staff_service
from careline.staff.model import Role


@pytest_asyncio.fixture
async def agent_id(any_engine: AsyncEngine) -> int:
    async with UnitOfWork(any_engine) as uow:
        member = await staff_service.create_staff(
            uow,
            username="agent.li",
            display_name="Agent Li",
            roles=frozenset({Role.AGENT}),
            password="correct-horse-battery",
            clock=Clock(),
        )
    return member.id
