"""Direct consultation on a real voice server: patient baresip → IVR → doctor's baresip.

The doctor's "private" phone sits behind the trunk. A raw packet capture on the loopback
interface keeps every SIP datagram that reaches the patient's phone, so the test can show
the doctor's number is in none of them (headers or SDP).
"""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import time
from pathlib import Path

import numpy as np
import pytest
import uvloop
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.consultations import service as consultations
from careline.consultations.model import Consultation, ConsultSettings, FeeMode, Outcome, Window
from careline.db.engine import make_engine
from careline.db.uow import UnitOfWork
from careline.ivr.engine import IvrEngine
from careline.ivr.model import CallRecord
from careline.ivr.service import list_call_records
from careline.ivr.session import IvrServices, IvrTiming
from careline.kit.clock import Clock
from careline.membership import service as membership
from careline.speech.speaker import Speaker
from careline.tables import metadata
from careline.telephony.media import Prompt
from careline.telephony.server import VoiceServer
from careline.telephony.trunk import TrunkSettings
from careline.voicemail import service as voicemail
from tests.integration.telephony.phones import (
    CODECS,
    FRAME,
    caller_account,
    frames_with,
    phone,
)
from tests.support.baresip import Baresip, level_of, tone
from tests.support.ports import free_port_range
from tests.unit.ivr.fakes import PIN, a_member, seed_hospital

pytestmark = pytest.mark.sip
HOSPITAL_NUMBER = "02150000000"
DOCTOR_NUMBER = "13712345678"
PATIENT_HZ, DOCTOR_HZ = 600.0, 1100.0
ETH_P_ALL = 0x0003


class SipCapture:
    """Every UDP datagram sent to one port on the loopback interface (needs CAP_NET_RAW)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.datagrams: list[bytes] = []
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.sock.bind(("lo", 0))
        self.sock.setblocking(False)

    def start(self) -> None:
        asyncio.get_running_loop().add_reader(self.sock.fileno(), self._read)

    def _read(self) -> None:
        while True:
            try:
                frame, meta = self.sock.recvfrom(65535)
            except BlockingIOError:
                return
            if meta[2] == socket.PACKET_OUTGOING:
                continue  # loopback shows each packet twice: keep the incoming copy
            self._keep(frame[14:])  # skip the (zeroed) Ethernet header of lo

    def _keep(self, packet: bytes) -> None:
        if len(packet) < 28 or packet[0] >> 4 != 4 or packet[9] != socket.IPPROTO_UDP:
            return
        header = (packet[0] & 0x0F) * 4
        _, destination = struct.unpack("!HH", packet[header : header + 4])
        if destination == self.port:
            self.datagrams.append(packet[header + 8 :])

    def stop(self) -> None:
        asyncio.get_running_loop().remove_reader(self.sock.fileno())
        self.sock.close()


@dataclass
class Line:
    db: AsyncEngine
    port: int


async def consulting_hospital(db: AsyncEngine, fee: int) -> int:
    ids = await seed_hospital(db)
    every_day = [Window(day, time(0, 0), time(23, 59)) for day in range(7)]
    mode = FeeMode.PER_CONSULTATION if fee else FeeMode.FREE
    async with UnitOfWork(db) as uow:
        await consultations.update_settings(
            uow, settings=ConsultSettings(ids["doctor"], True, 600, mode, fee), clock=Clock()
        )
        await consultations.set_windows(uow, doctor_id=ids["doctor"], windows=every_day)
        await consultations.set_private_numbers(
            uow, doctor_id=ids["doctor"], numbers=[DOCTOR_NUMBER]
        )
    return ids["doctor"]


async def last_record(db: AsyncEngine) -> CallRecord:
    for _ in range(80):
        async with UnitOfWork(db) as uow:
            found = await list_call_records(uow, limit=1)
        if found:
            return found[0]
        await asyncio.sleep(0.25)
    raise AssertionError("the call left no record")


def doctor_account(answer: str) -> str:
    # baresip finds the account by the Request-URI user: the trunk rings this number.
    return f"<sip:{DOCTOR_NUMBER}@127.0.0.1>;regint=0;answermode={answer};{CODECS}"


def test_patient_talks_to_the_doctor_who_accepts_and_is_charged(tmp_path: Path) -> None:
    found: dict[str, object] = {}

    async def scenario(doctor: Baresip) -> None:
        async def talk(line: Line) -> None:
            doctor_id = await consulting_hospital(line.db, fee=2000)
            card = await a_member(line.db)
            async with phone(
                tmp_path, "patient", caller_account(), tone(PATIENT_HZ, 90.0)
            ) as patient:
                capture = SipCapture(patient.sip_port)
                capture.start()
                await patient.dial(f"sip:100@127.0.0.1:{line.port}")
                await patient.wait_event("CALL_ESTABLISHED", timeout=20)
                # 1 Mandarin, 4 doctors' menu, 3 consultation, 2 by number, 1001#.
                await patient.send_digits("1432", gap=1.0)
                await patient.send_digits("1001#", gap=0.3)
                await asyncio.sleep(2.0)  # the fee is announced, then the card is asked for
                await patient.send_digits(f"{card.card_number}#", gap=0.2)
                await asyncio.sleep(1.0)
                await patient.send_digits(f"{PIN}#", gap=0.2)
                await doctor.wait_event("CALL_ESTABLISHED", timeout=40)
                await asyncio.sleep(2.0)  # part of the whisper
                await doctor.send_digits("1")
                await asyncio.sleep(5.0)  # talking
                await patient.hangup()
                await patient.wait_event("CALL_CLOSED")
                await doctor.wait_event("CALL_CLOSED", timeout=10)
                capture.stop()
                found["sip"] = capture.datagrams
                found["patient_heard"] = patient.heard()
            found["doctor_heard"] = doctor.heard()
            found["record"] = await last_record(line.db)
            async with UnitOfWork(line.db) as uow:
                found["consultations"] = await consultations.list_consultations(
                    uow, doctor_id=doctor_id
                )
                found["balance"] = await membership.card_balance(uow, card_id=card.id)
            found["incoming"] = [e for e in doctor.events if e.get("type") == "CALL_ESTABLISHED"]

        await run_line_async(tmp_path, doctor.sip_port, talk)

    with_doctor_phone(tmp_path, "auto", scenario)
    records = found["consultations"]
    assert isinstance(records, list)
    assert len(records) == 1
    consultation = records[0]
    assert isinstance(consultation, Consultation)
    assert consultation.outcome is Outcome.COMPLETED, found["record"]
    assert consultation.seconds >= 3
    assert consultation.charge_fen == 2000
    assert found["balance"] == 20000 - 2000
    assert_recorded_both_voices(tmp_path, consultation)
    patient_heard, doctor_heard = found["patient_heard"], found["doctor_heard"]
    assert isinstance(patient_heard, np.ndarray)
    assert isinstance(doctor_heard, np.ndarray)
    assert frames_with(patient_heard, DOCTOR_HZ) >= 50  # the doctor's voice reached the patient
    assert frames_with(doctor_heard, PATIENT_HZ) >= 50  # and the patient's the doctor
    incoming = found["incoming"]
    assert isinstance(incoming, list)
    assert HOSPITAL_NUMBER in str(incoming[0].get("peeruri", ""))  # the doctor sees the hospital
    assert "13800000000" not in str(incoming[0])
    sip = found["sip"]
    assert isinstance(sip, list)
    assert any(d.startswith(b"SIP/2.0 200") for d in sip)  # the capture saw the dialog
    for datagram in sip:
        assert DOCTOR_NUMBER.encode() not in datagram
        assert DOCTOR_NUMBER[-8:].encode() not in datagram


def assert_recorded_both_voices(data_dir: Path, consultation: Consultation) -> None:
    """The kept recording holds each side's tone, mixed on one timeline."""
    assert consultation.recording_path is not None
    assert consultation.recording_path.startswith("recordings/consultations/")
    pcm = Prompt.from_wav(data_dir / consultation.recording_path).pcm
    assert frames_with(pcm, PATIENT_HZ) >= 50
    assert frames_with(pcm, DOCTOR_HZ) >= 50
    together = sum(
        1
        for start in range(0, len(pcm) - FRAME + 1, FRAME)
        if min(level_of(pcm[start : start + FRAME], hz) for hz in (PATIENT_HZ, DOCTOR_HZ)) > 1000
    )
    assert together >= 50  # both talk at once: one mix, not one side after the other


def test_no_answer_leads_to_voicemail_for_the_doctor(tmp_path: Path) -> None:
    found: dict[str, object] = {}

    async def scenario(doctor: Baresip) -> None:
        async def leave(line: Line) -> None:
            doctor_id = await consulting_hospital(line.db, fee=0)
            async with phone(
                tmp_path, "patient", caller_account(), tone(PATIENT_HZ, 90.0)
            ) as patient:
                await patient.dial(f"sip:100@127.0.0.1:{line.port}")
                await patient.wait_event("CALL_ESTABLISHED", timeout=20)
                await patient.send_digits("1432", gap=1.0)
                await patient.send_digits("1001#", gap=0.3)
                await doctor.wait_event("CALL_INCOMING", timeout=30)
                await doctor.hangup()  # the doctor's phone refuses the call
                await asyncio.sleep(4.0)  # "cannot answer", then the voicemail offer
                await patient.send_digits("1")
                await asyncio.sleep(12.0)  # greeting, notice, beep, three seconds recorded
                await patient.send_digits("2580#", gap=0.3)
                await asyncio.sleep(4.0)
                await patient.hangup()
                await patient.wait_event("CALL_CLOSED")
            found["record"] = await last_record(line.db)
            async with UnitOfWork(line.db) as uow:
                found["consultations"] = await consultations.list_consultations(
                    uow, doctor_id=doctor_id
                )
                found["messages"] = await voicemail.messages_for_doctor(uow, doctor_id=doctor_id)

        await run_line_async(tmp_path, doctor.sip_port, leave)

    with_doctor_phone(tmp_path, "manual", scenario)
    record = found["record"]
    assert isinstance(record, CallRecord)
    records = found["consultations"]
    assert isinstance(records, list)
    assert len(records) == 1
    consultation = records[0]
    assert isinstance(consultation, Consultation)
    assert consultation.outcome is Outcome.NO_ANSWER
    assert "consult_no_answer" in record.prompts
    messages = found["messages"]
    assert isinstance(messages, list)
    assert len(messages) == 1, record
    recording = tmp_path / messages[0].recording_path
    assert recording.is_file()


async def run_line_async(
    tmp_path: Path, trunk_port: int | None, scenario: Callable[[Line], Awaitable[None]]
) -> None:
    db = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'careline.db'}")
    async with db.begin() as conn:
        await conn.run_sync(metadata.create_all)
    speech = Speaker(tmp_path / "speech-cache")
    services = IvrServices(
        db=db,
        clock=Clock(),
        data_dir=tmp_path,
        speech=speech,
        timing=IvrTiming(menu_timeout=8.0, digit_timeout=4.0, record_max_seconds=3.0),
    )
    low, high = free_port_range(40)
    server = VoiceServer(
        host="127.0.0.1",
        port=0,
        rtp_port_min=low,
        rtp_port_max=high,
        entry_flow=IvrEngine(services),
        speaker=speech.speech_prompt,
        trunk=(
            TrunkSettings("127.0.0.1", trunk_port, caller_id=HOSPITAL_NUMBER)
            if trunk_port
            else None
        ),
        rtp_timeout=15.0,
    )
    await server.start()
    try:
        await scenario(Line(db, server.port))
    finally:
        await server.stop()
        await db.dispose()


def with_doctor_phone(
    tmp_path: Path, answer: str, scenario: Callable[[Baresip], Awaitable[None]]
) -> None:
    async def main() -> None:
        async with phone(
            tmp_path, "doctor", doctor_account(answer), tone(DOCTOR_HZ, 90.0)
        ) as doctor:
            await scenario(doctor)

    uvloop.run(main())
