"""The automated call that plays a doctor's reply after the message PIN."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.db.uow import UnitOfWork
from careline.ivr.engine import IvrEngine
from careline.ivr.session import IvrServices
from careline.kit.clock import FakeClock
from careline.kit.phones import normalize_phone
from careline.telephony.media import Prompt
from careline.telephony.media.prompt import write_wav
from careline.voicemail import inbox, reply_calls
from careline.voicemail import service as voicemail
from careline.voicemail.model import VoiceMessage
from careline.voicemail.reply_calls import ReplyCaller, ReplyPhone
from tests.unit.ivr.fakes import MOBILE, FakeCall, seed_hospital

PIN = "2580"
CALLER = normalize_phone(MOBILE)  # stored as the line keys callers: E.164


class PatientPhone:
    """The patient's phone: keys from a script, hears text and recordings."""

    def __init__(self, keys: list[str]) -> None:
        self.keys = list(keys)
        self.heard: list[str] = []
        self.played: list[Prompt] = []
        self.hung_up = False

    async def play(self, prompt: Prompt, *, barge_in: bool = True) -> str | None:  # noqa: ARG002
        self.played.append(prompt)
        return None

    async def say(
        self,
        text: str,
        *,
        language: str | None = None,  # noqa: ARG002
        barge_in: bool = True,  # noqa: ARG002
    ) -> str | None:
        self.heard.append(text)
        return None

    async def collect(
        self,
        max_digits: int = 1,  # noqa: ARG002
        timeout: float = 5.0,  # noqa: ARG002
        terminator: str = "#",  # noqa: ARG002
    ) -> str:
        return self.keys.pop(0) if self.keys else ""

    async def hangup(self) -> None:
        self.hung_up = True


class Trunk:
    """Dials hand out the scripted phones in turn (None: nobody answers)."""

    def __init__(self, *phones: PatientPhone | None) -> None:
        self.phones = list(phones)
        self.dialled: list[str] = []

    async def __call__(self, number: str) -> ReplyPhone | None:
        self.dialled.append(number)
        return self.phones.pop(0) if self.phones else None


async def a_replied_message(
    engine: AsyncEngine, data_dir: Path, clock: FakeClock, *, call: bool = True
) -> VoiceMessage:
    ids = await seed_hospital(engine)
    reply = data_dir / "recordings" / "replies" / "r.wav"
    reply.parent.mkdir(parents=True)
    write_wav(reply, np.full(1600, 700, dtype=np.int16))
    async with UnitOfWork(engine) as uow:
        message = await voicemail.leave_message(
            uow,
            doctor_id=ids["doctor"],
            recording_path="recordings/voicemail/m.wav",
            caller_phone=CALLER,
            pin=PIN,
            language="zh-CN",
            clock=clock,
        )
        if call:
            await reply_calls.ask_for_reply_call(uow, message_id=message.id)
        return await inbox.reply_by_recording(
            uow,
            doctor_id=ids["doctor"],
            message_id=message.id,
            reply_path="recordings/replies/r.wav",
            clock=clock,
        )


def caller(engine: AsyncEngine, data_dir: Path, trunk: Trunk) -> ReplyCaller:
    factory: Callable[[], UnitOfWork] = lambda: UnitOfWork(engine)  # noqa: E731
    return ReplyCaller(factory, FakeClock(), data_dir, trunk)


async def due(engine: AsyncEngine) -> list[VoiceMessage]:
    async with UnitOfWork(engine) as uow:
        return await reply_calls.reply_calls_due(uow)


@pytest.mark.asyncio
async def test_the_reply_is_played_after_a_wrong_then_the_right_pin(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    await a_replied_message(engine, tmp_path, FakeClock())
    patient = PatientPhone(["1111", PIN])
    trunk = Trunk(patient)
    assert await caller(engine, tmp_path, trunk).run_round() == 1
    assert trunk.dialled == [CALLER]
    assert patient.heard[0].startswith("您好，这里是医院热线")
    assert "密码不正确。" in patient.heard
    assert len(patient.played) == 1
    assert int(patient.played[0].pcm[0]) == 700  # the doctor's recorded reply itself
    assert patient.hung_up
    assert await due(engine) == []  # answered: not called again
    assert await caller(engine, tmp_path, Trunk(PatientPhone([PIN]))).run_round() == 0


@pytest.mark.asyncio
async def test_three_wrong_pins_play_nothing(engine: AsyncEngine, tmp_path: Path) -> None:
    await a_replied_message(engine, tmp_path, FakeClock())
    patient = PatientPhone(["1111", "2222", "3333"])
    await caller(engine, tmp_path, Trunk(patient)).run_round()
    assert patient.played == []
    assert not any("医生回复" in text for text in patient.heard)


@pytest.mark.asyncio
async def test_unanswered_calls_are_retried_up_to_the_limit(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    message = await a_replied_message(engine, tmp_path, FakeClock())
    trunk = Trunk()  # nobody ever answers
    for _ in range(reply_calls.MAX_ATTEMPTS + 1):
        await caller(engine, tmp_path, trunk).run_round()
    assert trunk.dialled == [CALLER] * reply_calls.MAX_ATTEMPTS
    async with UnitOfWork(engine) as uow:
        stored = await voicemail.retrieve_reply(uow, number=message.number, pin=PIN)
    assert stored.reply_call_attempts == reply_calls.MAX_ATTEMPTS
    assert stored.reply_called_at is None


@pytest.mark.asyncio
async def test_no_call_unless_asked_or_before_the_reply(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    await a_replied_message(engine, tmp_path, FakeClock(), call=False)
    assert await due(engine) == []
    async with UnitOfWork(engine) as uow:
        waiting = await voicemail.leave_message(
            uow,
            doctor_id=1,
            recording_path="recordings/voicemail/n.wav",
            caller_phone=CALLER,
            pin=PIN,
            language="zh-CN",
            clock=FakeClock(),
        )
        await reply_calls.ask_for_reply_call(uow, message_id=waiting.id)
    assert await due(engine) == []  # asked, but the doctor has not replied yet


@pytest.mark.asyncio
async def test_the_caller_asks_for_the_call_with_2_after_leaving_the_message(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    ids = await seed_hospital(engine)
    services = IvrServices(db=engine, clock=FakeClock(), data_dir=tmp_path)
    call = FakeCall(["1", "4", "1", "2", "1001", PIN, "2"])
    await IvrEngine(services)(call)
    assert call.heard("医生回复后我们会给您来电")
    silent = FakeCall(["4", "1", "2", "1001", PIN, ""])  # the language is remembered
    await IvrEngine(services)(silent)
    assert not silent.heard("医生回复后我们会给您来电")
    async with UnitOfWork(engine) as uow:
        messages = await voicemail.messages_for_doctor(uow, doctor_id=ids["doctor"])
    assert sorted(m.reply_call for m in messages) == [False, True]
