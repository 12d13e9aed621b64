"""`careline serve --voice-workers 2` still places Careline's own calls, on the outbound line.

A campaign call, and a doctor's reply call: each reaches a real baresip behind the trunk
from the hospital's number while the SIP port belongs to the voice workers' front.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from pathlib import Path

import httpx
import numpy as np
import pytest

from careline.campaigns import results
from careline.campaigns.model import TargetStatus
from careline.campaigns.policy import campaign_policy
from careline.config import Settings
from careline.db.engine import make_engine
from careline.db.uow import UnitOfWork
from careline.kit.clock import Clock
from careline.voicemail import service as voicemail
from careline.voicemail.model import VoiceMessage
from tests.e2e.test_doctor_reply_call import (
    PATIENT_HZ,
    PIN,
    REPLY_HZ,
    a_replied_message,
    patient_account,
)
from tests.integration.campaigns.helpers import add_patients, patient, started_voice_reminder
from tests.integration.telephony.phones import CODECS, frames_with, phone
from tests.support.baresip import tone
from tests.support.ports import free_port_range
from tests.support.server import RunningServer, careline_server

pytestmark = [pytest.mark.sip, pytest.mark.asyncio]
HOSPITAL = "02150000000"


def _serve_with_two_workers(
    tmp_path: Path, trunk_port: int, **extra: str
) -> contextlib.AbstractContextManager[RunningServer]:
    """`careline serve --voice-workers 2` with the trunk at the patient's phone."""
    low, high = free_port_range(40)
    return careline_server(
        tmp_path,
        voice=True,
        voice_workers=2,
        CARELINE_RTP_PORT_MIN=str(low),
        CARELINE_RTP_PORT_MAX=str(high),
        CARELINE_TRUNK_HOST="127.0.0.1",
        CARELINE_TRUNK_PORT=str(trunk_port),
        CARELINE_TRUNK_CALLER_ID=HOSPITAL,
        **extra,
    )


async def test_serve_with_two_voice_workers_dials_a_campaign(tmp_path: Path) -> None:
    account = f"<sip:13900000001@127.0.0.1>;regint=0;answermode=auto;{CODECS}"
    async with phone(tmp_path, "patient", account, np.zeros(8000 * 30)) as device:
        with _serve_with_two_workers(
            tmp_path,
            device.sip_port,
            CARELINE_CAMPAIGN_WINDOWS="00:00-00:00",
            CARELINE_CAMPAIGN_INTERVAL_SECONDS="0.5",
            CARELINE_CAMPAIGN_KEY_TIMEOUT_SECONDS="1",
        ) as server:
            settings = Settings(data_dir=tmp_path, campaign_windows="00:00-00:00")
            engine = make_engine(settings.resolved_database_url)
            clock = Clock()
            try:
                async with UnitOfWork(engine) as uow:
                    await add_patients(uow, [patient(1)])
                    campaign = await started_voice_reminder(uow, clock, campaign_policy(settings))
                async with asyncio.timeout(180):
                    while True:
                        assert server.process is not None
                        assert server.process.poll() is None, (tmp_path / "serve.log").read_text()
                        async with UnitOfWork(engine) as uow:
                            targets = await results.list_targets(uow, campaign_id=campaign.id)
                        if targets[0].status is not TargetStatus.PENDING:
                            break
                        await asyncio.sleep(0.5)
                async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
                    metrics = (await http.get("/metrics")).text
            finally:
                await engine.dispose()
    assert targets[0].status is TargetStatus.REACHED
    # /metrics shows both lines: the call went out on the outbound line, and the phone
    # line's figures are its two workers' reports.
    started = 'careline_voice_calls_started_total{direction="outbound",line="outbound"} 1.0'
    assert started in metrics
    ticks = re.search(r'careline_media_ticks_total\{line="phone"\} (\S+)', metrics)
    assert ticks is not None
    assert float(ticks.group(1)) > 0
    calls = [e for e in device.events if e.get("event") and e.get("type") == "CALL_ESTABLISHED"]
    assert len(calls) == 1
    assert HOSPITAL in str(calls[0].get("peeruri", ""))


async def test_serve_with_two_voice_workers_calls_the_patient_with_the_reply(
    tmp_path: Path,
) -> None:
    async with phone(tmp_path, "patient", patient_account(), tone(PATIENT_HZ, 90.0)) as device:
        with _serve_with_two_workers(
            tmp_path, device.sip_port, CARELINE_VOICEMAIL_INTERVAL_SECONDS="1"
        ):
            engine = make_engine(Settings(data_dir=tmp_path).resolved_database_url)
            try:
                message = await a_replied_message(engine, tmp_path)
                await device.wait_event("CALL_ESTABLISHED", timeout=90)
                await asyncio.sleep(3.0)  # part of the greeting
                await device.send_digits(f"{PIN}#", gap=0.3)
                await device.wait_event("CALL_CLOSED", timeout=90)
                # The server records the call once its round is over, just after the hang-up.
                async with asyncio.timeout(20):
                    while True:
                        async with UnitOfWork(engine) as uow:
                            stored = await voicemail.retrieve_reply(
                                uow, number=message.number, pin=PIN
                            )
                        if stored.reply_called_at is not None:
                            break
                        await asyncio.sleep(0.2)
            finally:
                await engine.dispose()
        heard = device.heard()
        incoming = [e for e in device.events if e.get("type") == "CALL_ESTABLISHED"]
    assert frames_with(heard, REPLY_HZ) >= 100, (tmp_path / "serve.log").read_text()
    assert HOSPITAL in str(incoming[0].get("peeruri", ""))
    assert isinstance(stored, VoiceMessage)
    assert stored.reply_called_at is not None
