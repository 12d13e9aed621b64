"""The IVR on a real voice server: a SIP caller (``careline call``) walks paths by keys.

Each call goes through real SIP signalling, RTP with RFC 4733 key presses and espeak-ng
speech; the test then reads the database (ticket with its recording, fax job, call record)
and checks that what the caller received is speech, not silence.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
import uvloop
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.channels import service as channels
from careline.channels.model import Channel
from careline.complaints import service as complaints
from careline.db.engine import make_engine
from careline.db.uow import UnitOfWork
from careline.directory import service as directory
from careline.ivr.engine import IvrEngine
from careline.ivr.model import CallRecord, HandoffContext, Outcome
from careline.ivr.service import list_call_records
from careline.ivr.session import IvrServices, IvrTiming, handoff_context
from careline.kit.clock import Clock
from careline.membership import service as membership
from careline.membership.model import MemberCard
from careline.scheduling import service as scheduling
from careline.scheduling.model import Channel as BookingChannel
from careline.speech.speaker import Speaker
from careline.tables import metadata
from careline.telephony.callcli import call_and_listen
from careline.telephony.calls import Call, QueuePort
from careline.telephony.server import VoiceServer
from careline.voicemail import service as voicemail
from tests.integration.telephony.phones import caller_account, frames_with, phone
from tests.support.baresip import read_wav, tone
from tests.support.ports import free_port_range
from tests.unit.ivr.fakes import PIN, a_member, seed_hospital

pytestmark = pytest.mark.sip
FRAME = 160


@dataclass
class RecordingQueue(QueuePort):
    """The agent queue as the ACD will see it: the call and the IVR's context."""

    handed: list[tuple[str, HandoffContext | None]] = field(default_factory=list)

    async def enqueue(self, call: Call, queue: str) -> None:
        self.handed.append((queue, handoff_context(call)))
        await call.hangup()


@dataclass
class Line:
    db: AsyncEngine
    data_dir: Path
    queue: RecordingQueue


def voiced_seconds(heard: Path | np.ndarray) -> float:
    """Seconds of 20 ms frames loud enough to be heard."""
    pcm = (read_wav(heard) if isinstance(heard, Path) else heard).astype(np.float64)
    frames = pcm[: len(pcm) // FRAME * FRAME].reshape(-1, FRAME)
    return float((np.sqrt((frames**2).mean(axis=1)) > 300.0).sum() * 0.02)


def run_line(tmp_path: Path, scenario: Callable[[Line, int], Awaitable[None]]) -> None:
    async def main() -> None:
        db = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'careline.db'}")
        async with db.begin() as conn:
            await conn.run_sync(metadata.create_all)
        await seed_hospital(db)
        speech = Speaker(tmp_path / "speech-cache")
        services = IvrServices(
            db=db,
            clock=Clock(),
            data_dir=tmp_path,
            speech=speech,
            timing=IvrTiming(menu_timeout=8.0, digit_timeout=4.0, record_max_seconds=3.0),
        )
        ivr = IvrEngine(services)
        await ivr.warm_up()
        queue = RecordingQueue()

        low, high = free_port_range(40)
        server = VoiceServer(
            host="127.0.0.1",
            port=0,
            rtp_port_min=low,
            rtp_port_max=high,
            entry_flow=ivr,
            speaker=speech.speech_prompt,
            queue=queue,
            rtp_timeout=15.0,
        )
        await server.start()
        try:
            await scenario(Line(db, tmp_path, queue), server.port)
        finally:
            await server.stop()
            await db.dispose()

    uvloop.run(main())


async def place(port: int, digits: str, heard: Path, seconds: float) -> None:
    low, high = free_port_range(20)
    await call_and_listen(
        f"sip:100@127.0.0.1:{port}",
        digits=digits,
        record=heard,
        seconds=seconds,
        caller_id="13800138000",
        rtp_port_min=low,
        rtp_port_max=high,
        echo=lambda _: None,
    )


async def until_ticket(db: AsyncEngine, seconds: float = 40.0) -> None:
    """Wait until the IVR has opened a ticket (the message was recorded)."""
    for _ in range(int(seconds / 0.25)):
        async with UnitOfWork(db) as uow:
            if await complaints.list_queue(uow, department_id=None):
                return
        await asyncio.sleep(0.25)
    raise AssertionError("no ticket was opened")


async def until_file(folder: Path, seconds: float = 40.0) -> None:
    """Wait until a recording has been written into folder."""
    for _ in range(int(seconds / 0.25)):
        if folder.is_dir() and any(folder.iterdir()):
            return
        await asyncio.sleep(0.25)
    raise AssertionError(f"nothing was recorded into {folder}")


async def last_record(db: AsyncEngine, seconds: float = 20.0) -> CallRecord:
    """The newest call record, waiting for the server to finish the call that just ended."""
    for _ in range(int(seconds / 0.25)):
        async with UnitOfWork(db) as uow:
            found = await list_call_records(uow, limit=1)
        if found:
            return found[0]
        await asyncio.sleep(0.25)
    raise AssertionError("the call left no record")


def test_complaint_by_phone_opens_a_ticket_with_the_recording(tmp_path: Path) -> None:
    found: dict[str, object] = {}
    # The caller's microphone: a steady tone the server records as the complaint.
    voice = tone(440.0, 60.0, level=6000.0)

    async def scenario(line: Line, port: int) -> None:
        async with phone(tmp_path, "caller", caller_account(), voice) as caller:
            await caller.dial(f"sip:100@127.0.0.1:{port}")
            await caller.wait_event("CALL_ESTABLISHED", timeout=20)
            # 1 Mandarin, 3 feedback, 1 complaint (keys cut the prompts short).
            await caller.send_digits("131", gap=1.0)
            await until_ticket(line.db)
            await asyncio.sleep(2.0)  # part of the ticket number being read out
            await caller.hangup()
            await caller.wait_event("CALL_CLOSED")
            found["heard"] = caller.heard()
        async with UnitOfWork(line.db) as uow:
            found["tickets"] = await complaints.list_queue(uow, department_id=None)
            found["sms"] = await channels.list_messages(uow)
        found["record"] = await last_record(line.db)

    run_line(tmp_path, scenario)
    record = found["record"]
    assert isinstance(record, CallRecord)
    tickets = found["tickets"]
    assert isinstance(tickets, list)
    assert len(tickets) == 1, record
    heard_tone = read_wav(tmp_path / tickets[0].recording_path)
    assert frames_with(heard_tone, 440.0) >= 50  # the caller's voice is in the recording
    assert record.path[:3] == ("language", "lang_zh", "main")
    assert record.prompts.index("recording_notice") < record.prompts.index("ticket_created")
    assert record.keys.startswith("131")
    sms = found["sms"]
    assert isinstance(sms, list)
    assert tickets[0].number in sms[0].body
    heard = found["heard"]
    assert isinstance(heard, np.ndarray)
    assert voiced_seconds(heard) > 3.0


def test_fax_then_agent_with_context(tmp_path: Path) -> None:
    heard = tmp_path / "heard.wav"
    found: dict[str, object] = {}

    async def scenario(line: Line, port: int) -> None:
        # 2 English, 5 fax, 1 by code, document 301, fax number; then 0 for an agent.
        await place(port, "2,5,1,,301#,,02112345678#,,,,,,0", heard, seconds=40.0)
        async with UnitOfWork(line.db) as uow:
            found["faxes"] = [
                m for m in await channels.list_messages(uow) if m.channel is Channel.FAX
            ]
        found["record"] = await last_record(line.db)
        found["handed"] = list(line.queue.handed)

    run_line(tmp_path, scenario)
    handed = found["handed"]
    assert isinstance(handed, list)
    assert len(handed) == 1
    queue, context = handed[0]
    assert queue == "general"
    assert context is not None
    assert context.language == "en"
    assert context.menu_path[-2:] == ("fax", "main")
    assert context.reason == "caller_request"
    faxes = found["faxes"]
    assert isinstance(faxes, list)
    assert len(faxes) == 1
    assert faxes[0].recipient == "+862112345678"
    record = found["record"]
    assert isinstance(record, CallRecord)
    assert "fax_queued" in record.prompts
    assert record.outcome is Outcome.TO_AGENT
    assert voiced_seconds(heard) > 5.0


def test_member_books_by_phone_and_is_charged(tmp_path: Path) -> None:
    heard = tmp_path / "heard.wav"
    found: dict[str, object] = {}

    async def scenario(line: Line, port: int) -> None:
        card = await a_member(line.db)
        found["card"] = card
        # 1 Mandarin, 2 members, card and PIN, 2 book, department 1, any doctor, first day,
        # first time, 1 confirm.
        keys = f"1,,2,,{card.card_number}#,,{PIN}#,,,2,,1,,1,,1,,1,,,1"
        await place(port, keys, heard, seconds=45.0)
        async with UnitOfWork(line.db) as uow:
            found["bookings"] = await scheduling.bookings_of_patient(
                uow, patient_id=card.patient_id
            )
            found["balance"] = await membership.card_balance(uow, card_id=card.id)
        found["record"] = await last_record(line.db)

    run_line(tmp_path, scenario)
    record = found["record"]
    assert isinstance(record, CallRecord)
    bookings = found["bookings"]
    assert isinstance(bookings, list)
    assert len(bookings) == 1, record
    assert bookings[0].channel is BookingChannel.PHONE
    assert found["balance"] == 20000 - bookings[0].fee
    assert "booked" in record.prompts
    card = found["card"]
    assert isinstance(card, MemberCard)
    assert record.member_card == card.card_number
    assert voiced_seconds(heard) > 5.0


def test_voicemail_left_for_a_doctor_is_stored(tmp_path: Path) -> None:
    found: dict[str, object] = {}
    voice = tone(440.0, 60.0, level=6000.0)

    async def scenario(line: Line, port: int) -> None:
        async with phone(tmp_path, "caller", caller_account(), voice) as caller:
            await caller.dial(f"sip:100@127.0.0.1:{port}")
            await caller.wait_event("CALL_ESTABLISHED", timeout=20)
            # 1 Mandarin, 4 voicemail, 1 leave, 2 by doctor number, 1001#.
            await caller.send_digits("1412", gap=1.0)
            await caller.send_digits("1001#", gap=0.3)
            await until_file(line.data_dir / "recordings" / "voicemail")
            await caller.send_digits("2580#", gap=0.3)
            await asyncio.sleep(6.0)
            await caller.hangup()
            await caller.wait_event("CALL_CLOSED")
        found["record"] = await last_record(line.db)  # the server has finished the call
        async with UnitOfWork(line.db) as uow:
            doctor = await directory.doctor_by_number(uow, doctor_number="1001")
            found["messages"] = await voicemail.messages_for_doctor(uow, doctor_id=doctor.id)

    run_line(tmp_path, scenario)
    record = found["record"]
    messages = found["messages"]
    assert isinstance(messages, list)
    assert len(messages) == 1, record
    recording = read_wav(tmp_path / messages[0].recording_path)
    assert frames_with(recording, 440.0) >= 50
    assert isinstance(record, CallRecord)
    assert record.prompts.count("vm_left") >= 1
