"""The automated reply call: the patient's baresip behind the trunk hears the reply.

The doctor has answered by recording (a 1 kHz tone stands in for the voice). Careline
dials the patient through the trunk with the hospital's number, asks for the message PIN,
and plays the reply only after the right one.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest
import uvloop
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.db.engine import make_engine
from careline.db.uow import UnitOfWork
from careline.kit.clock import Clock
from careline.kit.phones import normalize_phone
from careline.speech.speaker import Speaker
from careline.tables import metadata
from careline.telephony.media.prompt import write_wav
from careline.telephony.server import VoiceServer
from careline.telephony.trunk import TrunkSettings
from careline.voicemail import inbox, reply_calls
from careline.voicemail import service as voicemail
from careline.voicemail.model import VoiceMessage
from careline.voicemail.reply_calls import ReplyCaller, trunk_dial
from tests.integration.telephony.phones import CODECS, frames_with, phone
from tests.support.baresip import tone
from tests.support.ports import free_port_range
from tests.unit.ivr.fakes import seed_hospital

pytestmark = pytest.mark.sip
HOSPITAL_NUMBER = "02150000000"
PATIENT_NUMBER = "13912345678"
PIN = "2580"
REPLY_HZ, PATIENT_HZ = 1000.0, 500.0


def patient_account() -> str:
    # baresip finds the account by the Request-URI user: the trunk rings this number.
    return f"<sip:{PATIENT_NUMBER}@127.0.0.1>;regint=0;answermode=auto;{CODECS}"


async def a_replied_message(db: AsyncEngine, data_dir: Path) -> VoiceMessage:
    ids = await seed_hospital(db)
    reply = data_dir / "recordings" / "replies" / "reply.wav"
    reply.parent.mkdir(parents=True, exist_ok=True)
    write_wav(reply, tone(REPLY_HZ, 4.0))
    clock = Clock()
    async with UnitOfWork(db) as uow:
        message = await voicemail.leave_message(
            uow,
            doctor_id=ids["doctor"],
            recording_path="recordings/voicemail/question.wav",
            caller_phone=normalize_phone(PATIENT_NUMBER),
            pin=PIN,
            language="zh-CN",
            clock=clock,
        )
        await reply_calls.ask_for_reply_call(uow, message_id=message.id)
        return await inbox.reply_by_recording(
            uow,
            doctor_id=ids["doctor"],
            message_id=message.id,
            reply_path="recordings/replies/reply.wav",
            clock=clock,
        )


def test_patient_is_called_and_hears_the_reply_after_the_pin(tmp_path: Path) -> None:
    found: dict[str, object] = {}

    async def main() -> None:
        db = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'careline.db'}")
        async with db.begin() as conn:
            await conn.run_sync(metadata.create_all)
        message = await a_replied_message(db, tmp_path)
        async with phone(tmp_path, "patient", patient_account(), tone(PATIENT_HZ, 90.0)) as ue:
            low, high = free_port_range(20)
            server = VoiceServer(
                host="127.0.0.1",
                port=0,
                rtp_port_min=low,
                rtp_port_max=high,
                speaker=Speaker(tmp_path / "speech-cache").speech_prompt,
                trunk=TrunkSettings("127.0.0.1", ue.sip_port, caller_id=HOSPITAL_NUMBER),
                rtp_timeout=15.0,
            )
            await server.start()
            try:
                caller = ReplyCaller(
                    lambda: UnitOfWork(db), Clock(), tmp_path, trunk_dial(server, ring_timeout=20)
                )
                round_ = asyncio.create_task(caller.run_round())
                await ue.wait_event("CALL_ESTABLISHED", timeout=30)
                await asyncio.sleep(3.0)  # part of the greeting
                await ue.send_digits(f"{PIN}#", gap=0.3)
                found["answered"] = await asyncio.wait_for(round_, 90)
                await ue.wait_event("CALL_CLOSED", timeout=20)
                found["heard"] = ue.heard()
                found["incoming"] = [e for e in ue.events if e.get("type") == "CALL_ESTABLISHED"]
                async with UnitOfWork(db) as uow:
                    found["stored"] = await voicemail.retrieve_reply(
                        uow, number=message.number, pin=PIN
                    )
                    found["due"] = await reply_calls.reply_calls_due(uow)
            finally:
                await server.stop()
        await db.dispose()

    uvloop.run(main())
    assert found["answered"] == 1
    heard = found["heard"]
    assert isinstance(heard, np.ndarray)
    assert frames_with(heard, REPLY_HZ) >= 100  # the recorded reply reached the patient
    incoming = found["incoming"]
    assert isinstance(incoming, list)
    assert HOSPITAL_NUMBER in str(incoming[0].get("peeruri", ""))  # the hospital's number
    stored = found["stored"]
    assert isinstance(stored, VoiceMessage)
    assert stored.reply_called_at is not None
    assert stored.failed_pins == 0
    assert found["due"] == []  # the request is closed: no second call
