"""The doctor's consultation page and the API: numbers stay masked or absent."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.config import Settings
from careline.consultations import service
from careline.db.uow import UnitOfWork
from careline.staff.model import Role
from tests.conftest import StaffClientFactory
from tests.integration.voicemail.test_doctor_inbox import a_doctor
from tests.integration.voicemail.test_doctor_pages import signed_in

PRIVATE = ("13712345678", "02161234567")


@pytest.mark.asyncio
async def test_doctor_sets_terms_and_numbers_that_no_answer_reveals(
    settings: Settings, engine: AsyncEngine, staff_client: StaffClientFactory
) -> None:
    doctor_id, _ = await a_doctor(engine)
    http = await signed_in(settings, engine, "dr.zhang", doctor_id)
    terms = {
        "part": "terms",
        "enabled": "1",
        "max_minutes": "15",
        "fee_mode": "per_minute",
        "fee": "5",
        "windows": "1 09:00-11:30\n3 14:00-16:00",
    }
    saved = await http.post("/doctor/consultations", data=terms)
    assert saved.status_code == 200
    assert 'id="saved"' in saved.text
    numbers = await http.post(
        "/doctor/consultations", data={"part": "numbers", "numbers": "\n".join(PRIVATE)}
    )
    assert numbers.status_code == 200
    bad = await http.post("/doctor/consultations", data={**terms, "windows": "8 09:00-10:00"})
    assert bad.status_code == 422
    closed = await http.post(
        "/doctor/consultations",
        data={"part": "exception", "day": "2026-12-01", "start": "", "end": ""},
    )
    assert "2026-12-01" in closed.text
    async with UnitOfWork(engine) as uow:
        assert await service.numbers_to_dial(uow, doctor_id=doctor_id) == list(PRIVATE)
        terms_saved = await service.get_settings(uow, doctor_id=doctor_id)
        windows = await service.get_windows(uow, doctor_id=doctor_id)
    assert (terms_saved.max_call_seconds, terms_saved.fee_fen) == (900, 500)
    assert [w.weekday for w in windows] == [0, 2]

    agent = await staff_client(Role.AGENT)
    answers = [
        await http.get("/doctor/consultations"),
        await http.get("/api/v1/consultations/mine"),
        await agent.get(f"/api/v1/consultations/doctors/{doctor_id}/availability"),
    ]
    for answer in answers:
        assert answer.status_code == 200
        for number in PRIVATE:
            assert number not in answer.text
            assert number[-4:] not in answer.text
    assert answers[1].json()["numbers_masked"] == ["*********78", "*********67"]
    assert answers[2].json()["availability"] in ("available", "outside_hours")
    assert (await agent.get("/api/v1/consultations/mine")).status_code == 403
    await http.aclose()
