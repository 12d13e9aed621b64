"""Voicemail end to end with real SIP phones: a patient leaves a message, the doctor calls
in, hears it and records a reply, and the patient calls back and hears the reply by PIN."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import numpy as np
import pytest
import uvloop

from careline.channels import service as channels
from careline.db.uow import UnitOfWork
from careline.directory import service as directory
from careline.ivr.service import list_call_records
from careline.kit.clock import Clock
from careline.voicemail import inbox
from careline.voicemail import service as voicemail
from careline.voicemail.model import MessageStatus, VoiceMessage
from tests.e2e.test_doctor_consultation import Line, last_record, run_line_async
from tests.integration.telephony.phones import CODECS, caller_account, frames_with, phone
from tests.support.baresip import read_wav, tone
from tests.unit.ivr.fakes import seed_hospital

pytestmark = pytest.mark.sip
PATIENT_HZ, DOCTOR_HZ = 600.0, 1300.0
DOCTOR_PIN = "246810"


def doctor_phone_account() -> str:
    return f"<sip:13900000000@127.0.0.1>;regint=0;answermode=manual;{CODECS}"


async def until(check: Callable[[], Awaitable[bool]], seconds: float = 40.0) -> None:
    for _ in range(int(seconds / 0.25)):
        if await check():
            return
        await asyncio.sleep(0.25)
    raise AssertionError("the line did not get there in time")


def test_patient_message_doctor_reply_and_patient_hears_it(tmp_path: Path) -> None:
    found: dict[str, object] = {}
    replies = tmp_path / "recordings" / "replies"

    async def scenario(line: Line) -> None:
        await seed_hospital(line.db)
        async with UnitOfWork(line.db) as uow:
            doctor = await directory.doctor_by_number(uow, doctor_number="1001")
            await inbox.set_doctor_pin(uow, doctor_id=doctor.id, pin=DOCTOR_PIN, clock=Clock())

        async def message_left() -> bool:
            async with UnitOfWork(line.db) as uow:
                return bool(await voicemail.messages_for_doctor(uow, doctor_id=doctor.id))

        voice = tone(PATIENT_HZ, 90.0, level=6000.0)
        async with phone(tmp_path, "patient", caller_account(), voice) as patient:
            await patient.dial(f"sip:100@127.0.0.1:{line.port}")
            await patient.wait_event("CALL_ESTABLISHED", timeout=20)
            await patient.send_digits("1412", gap=1.0)
            await patient.send_digits("1001#", gap=0.3)
            await until(lambda: _has_files(tmp_path / "recordings" / "voicemail"))
            await patient.send_digits("2580#", gap=0.3)
            await until(message_left)
            await patient.hangup()
            await patient.wait_event("CALL_CLOSED")
        async with UnitOfWork(line.db) as uow:
            (message,) = await voicemail.messages_for_doctor(uow, doctor_id=doctor.id)

        reply_voice = tone(DOCTOR_HZ, 90.0, level=6000.0)
        async with phone(tmp_path, "doctor", doctor_phone_account(), reply_voice) as handset:
            await handset.dial(f"sip:100@127.0.0.1:{line.port}")
            await handset.wait_event("CALL_ESTABLISHED", timeout=20)
            # 1 Mandarin, 8 the doctors' box, doctor number and PIN.
            await handset.send_digits("18", gap=1.0)
            await handset.send_digits("1001#", gap=0.3)
            await asyncio.sleep(1.0)
            await handset.send_digits(f"{DOCTOR_PIN}#", gap=0.3)
            await asyncio.sleep(12.0)  # count, date and caller, the message itself
            await handset.send_digits("2")  # reply by recording
            await until(lambda: _has_files(replies))
            await asyncio.sleep(6.0)
            await handset.hangup()
            await handset.wait_event("CALL_CLOSED")
            found["doctor_heard"] = handset.heard()
        found["doctor_record"] = await last_record(line.db)

        async with phone(tmp_path, "patient2", caller_account(), voice) as patient:
            await patient.dial(f"sip:100@127.0.0.1:{line.port}")
            await patient.wait_event("CALL_ESTABLISHED", timeout=20)
            # The line remembers Mandarin: 4 doctors' menu, 2 hear the reply.
            await patient.send_digits("42", gap=1.0)
            await patient.send_digits(f"{message.number}#", gap=0.3)
            await asyncio.sleep(1.0)
            await patient.send_digits("2580#", gap=0.3)
            await asyncio.sleep(14.0)
            await patient.hangup()
            await patient.wait_event("CALL_CLOSED")
            found["patient_heard"] = patient.heard()

        async def third_call_recorded() -> bool:
            async with UnitOfWork(line.db) as uow:
                return len(await list_call_records(uow, limit=5)) >= 3

        await until(third_call_recorded, 20.0)
        found["patient_record"] = await last_record(line.db)
        async with UnitOfWork(line.db) as uow:
            entries = await inbox.list_inbox(uow, doctor_id=doctor.id, include_done=True)
            found["message"] = entries[0].message
            found["sms"] = await channels.list_messages(uow)

    uvloop.run(run_line_async(tmp_path, None, scenario))
    message = found["message"]
    assert isinstance(message, VoiceMessage)
    assert message.status is MessageStatus.DONE, found["doctor_record"]
    assert message.reply_path is not None
    doctor_heard, patient_heard = found["doctor_heard"], found["patient_heard"]
    assert isinstance(doctor_heard, np.ndarray)
    assert isinstance(patient_heard, np.ndarray)
    assert frames_with(doctor_heard, PATIENT_HZ) >= 50  # the doctor heard the message
    reply = read_wav(tmp_path / message.reply_path)
    assert frames_with(reply, DOCTOR_HZ) >= 50, "the reply holds the doctor's voice"
    assert frames_with(patient_heard, DOCTOR_HZ) >= 50, found["patient_record"]
    sms = found["sms"]
    assert isinstance(sms, list)
    assert any(message.number in m.body and "已回复" in m.body for m in sms)


async def _has_files(folder: Path) -> bool:
    return folder.is_dir() and any(folder.iterdir())
