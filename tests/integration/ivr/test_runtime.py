"""``careline serve`` answers with the IVR: the entry flow, its speech and its database."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.bootstrap import Careline
from careline.config import Settings
from careline.db.uow import UnitOfWork
from careline.ivr.engine import IvrEngine
from careline.ivr.runtime import phone_ivr
from careline.ivr.service import get_call_record
from careline.kit.clock import FakeClock
from careline.telephony.runtime import start_phone_line
from tests.support.ports import free_port_range
from tests.unit.ivr.fakes import FakeCall


@pytest.mark.asyncio
async def test_phone_line_runs_the_ivr(settings: Settings, engine: AsyncEngine) -> None:
    low, high = free_port_range(10)
    configured = settings.model_copy(
        update={"sip_port": 0, "rtp_port_min": low, "rtp_port_max": high}
    )
    careline = Careline(configured, engine, FakeClock())
    server = await start_phone_line(configured, careline)
    try:
        assert isinstance(server.entry_flow, IvrEngine)
        assert server.entry_flow.services.db is engine
        assert server.speaker is not None
    finally:
        await server.stop()


@pytest.mark.asyncio
async def test_spoken_prompts_are_speech_and_the_call_is_recorded(
    settings: Settings, engine: AsyncEngine
) -> None:
    ivr = phone_ivr(Careline(settings, engine, FakeClock()), warm=False)
    assert await ivr.warm_up() > 100  # every fixed prompt in both languages
    call = FakeCall(["2", "#"])
    await ivr(call)
    assert call.spoken == ["tts"] * 4  # greeting, language, main menu, goodbye
    async with UnitOfWork(engine) as uow:
        record = await get_call_record(uow, call_id=call.id)
    assert record.prompts == ("greeting", "choose_language", "main_menu", "goodbye")


@pytest.mark.asyncio
async def test_warm_up_counts_and_names_the_prompts_it_could_not_render(
    settings: Settings, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from structlog.testing import capture_logs

    from careline.speech.errors import SynthesisFailed

    ivr = phone_ivr(Careline(settings, engine, FakeClock()), warm=False)
    speech = ivr.services.speech
    assert speech is not None
    render = speech.render

    async def english_fails(text: str, language: str, *, persist: bool = True) -> object:
        if str(language) == "en":
            raise SynthesisFailed("voice missing")
        return await render(text, language, persist=persist)

    monkeypatch.setattr(speech, "render", english_fails)
    with capture_logs() as logs:
        ready = await ivr.warm_up()
    warned = [entry for entry in logs if entry["event"] == "ivr_prompts_not_warmed"]
    assert len(warned) == 1
    failures = warned[0]["failures"]
    assert failures
    assert all(key.startswith("en:") for key in failures)
    assert ready == next(e["total"] for e in logs if e["event"] == "ivr_prompts_warmed") - len(
        failures
    )
    assert ready > 50  # the Mandarin prompts still rendered
