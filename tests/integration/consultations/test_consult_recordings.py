"""Consultation recordings on the web: the doctor hears their own, supervisors any."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.config import Settings
from careline.consultations import service
from careline.consultations.model import Outcome
from careline.db.uow import UnitOfWork
from careline.kit.clock import FakeClock
from careline.staff.model import Role
from careline.staff.tables import audit_log
from careline.telephony.media.prompt import write_wav
from tests.conftest import StaffClientFactory
from tests.integration.voicemail.test_doctor_inbox import a_doctor
from tests.integration.voicemail.test_doctor_pages import signed_in

CLOCK = FakeClock(datetime(2026, 11, 25, 2, 0, tzinfo=UTC))


async def a_consultation(
    engine: AsyncEngine, settings: Settings, doctor_id: int, name: str | None
) -> int:
    """A completed consultation, recorded to recordings/consultations/<name>.wav if named."""
    relative = None
    if name is not None:
        relative = f"recordings/consultations/{name}.wav"
        (settings.data_dir / relative).parent.mkdir(parents=True, exist_ok=True)
        write_wav(settings.data_dir / relative, np.full(800, len(name) * 100, dtype=np.int16))
    async with UnitOfWork(engine) as uow:
        consultation_id = await service.start_consultation(
            uow, doctor_id=doctor_id, call_id=f"call-{name}", clock=CLOCK
        )
        await service.finish_consultation(
            uow,
            consultation_id=consultation_id,
            outcome=Outcome.COMPLETED,
            seconds=60,
            clock=CLOCK,
            recording_path=relative,
        )
    return consultation_id


@pytest.mark.asyncio
async def test_doctor_and_supervisor_play_recordings(
    settings: Settings, engine: AsyncEngine, staff_client: StaffClientFactory
) -> None:
    mine_id, _ = await a_doctor(engine, "3001")
    other_id, _ = await a_doctor(engine, "3002")
    mine = await a_consultation(engine, settings, mine_id, "mine")
    silent = await a_consultation(engine, settings, mine_id, None)
    theirs = await a_consultation(engine, settings, other_id, "theirs")
    doctor = await signed_in(settings, engine, "dr.rec", mine_id)

    page = await doctor.get("/doctor/consultations")
    assert page.status_code == 200
    assert f'src="/doctor/consultations/{mine}/recording"' in page.text
    assert f"/doctor/consultations/{silent}/recording" not in page.text
    audio = await doctor.get(f"/doctor/consultations/{mine}/recording")
    assert audio.status_code == 200
    assert audio.headers["content-type"] == "audio/wav"
    assert audio.content == (settings.data_dir / "recordings/consultations/mine.wav").read_bytes()
    assert (await doctor.get(f"/doctor/consultations/{theirs}/recording")).status_code == 404
    assert (await doctor.get(f"/doctor/consultations/{silent}/recording")).status_code == 404

    supervisor = await staff_client(Role.SUPERVISOR)
    listing = await supervisor.get("/doctor/consultations")
    assert listing.status_code == 200
    for consultation_id in (mine, theirs):
        assert f"/doctor/consultations/{consultation_id}/recording" in listing.text
    assert "(3001)" in listing.text
    assert "(3002)" in listing.text
    one = await supervisor.get(f"/doctor/consultations?doctor={other_id}")
    assert f"/doctor/consultations/{theirs}/recording" in one.text
    assert f"/doctor/consultations/{mine}/recording" not in one.text
    heard = await supervisor.get(f"/doctor/consultations/{theirs}/recording")
    assert heard.status_code == 200
    assert heard.content == (settings.data_dir / "recordings/consultations/theirs.wav").read_bytes()

    agent = await staff_client(Role.AGENT)
    assert (await agent.get(f"/doctor/consultations/{mine}/recording")).status_code == 403
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                sa.select(audit_log.c.subject_id).where(audit_log.c.subject == "consultation")
            )
        ).all()
    assert sorted(int(row.subject_id) for row in rows) == sorted([mine, theirs])
    await doctor.aclose()


@pytest.mark.asyncio
async def test_retention_removes_the_recording_with_the_record(
    settings: Settings, engine: AsyncEngine
) -> None:
    doctor_id, _ = await a_doctor(engine, "3003")
    await a_consultation(engine, settings, doctor_id, "old")
    path = settings.data_dir / "recordings/consultations/old.wav"
    assert path.is_file()
    later = FakeClock(CLOCK.now())
    later.advance(366 * 86400)
    async with UnitOfWork(engine) as uow:
        purged = await service.purge_expired(
            uow, clock=later, retention_days=365, data_dir=settings.data_dir
        )
        left = await service.list_consultations(uow, doctor_id=doctor_id)
    assert purged == 1
    assert left == []
    assert not path.exists()
