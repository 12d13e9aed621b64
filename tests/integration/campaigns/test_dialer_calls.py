"""A survey campaign dialled through the trunk to real baresip phones, with a worker restart.

One baresip answers for four numbers (it picks the account by the Request-URI user):
patient 1 answers and keys the answers, patient 2 rejects with 486 first and answers the
retry, patient 3 never answers, patient 4 keys 9. The worker is stopped after the first
answered call and a new worker (another id) takes over.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.campaigns import results, service
from careline.campaigns.dialer import CampaignDialer
from careline.campaigns.model import TargetStatus
from careline.campaigns.policy import CampaignPolicy
from careline.campaigns.retry import RetryPolicy
from careline.campaigns.windows import CallingWindows, parse_windows
from careline.db.uow import UnitOfWork
from careline.kit.clock import Clock
from careline.telephony.calls import Call
from careline.telephony.media import Prompt
from careline.telephony.server import VoiceServer
from careline.telephony.trunk import TrunkSettings
from tests.integration.campaigns.helpers import (
    add_patients,
    patient,
    survey_campaign,
    wait_no_pending,
)
from tests.integration.telephony.phones import CODECS, phone
from tests.support.baresip import Baresip, tone
from tests.support.ports import free_port_range

pytestmark = pytest.mark.sip
HOSPITAL = "02150000000"
ANSWERS = {1: "#421", 2: "#51", 4: "9"}


def _policy() -> CampaignPolicy:
    clock = Clock()
    return CampaignPolicy(
        retry=RetryPolicy(busy_seconds=0.5, no_answer_seconds=0.5, failed_seconds=0.5),
        windows=CallingWindows(clock.zone, parse_windows("00:00-00:00"), lambda _: False),
        max_lines=1,
        calls_per_minute=600,
        caller_id=HOSPITAL,
        ring_timeout=1.5,
        key_timeout=3.0,
    )


class Patients:
    """Play the four patients on one baresip: answer, reject once, ignore, key 9."""

    def __init__(self, device: Baresip) -> None:
        self.device = device
        self.rung: dict[int, int] = {}
        self.callers: list[str] = []
        self.cursor = 0

    async def serve(self) -> None:
        while True:
            await self._ring(await self._next("CALL_INCOMING"))

    async def _next(self, *kinds: str) -> dict[str, Any]:
        """The next event of these kinds after the last one read (events are never dropped)."""
        while True:
            while self.cursor < len(self.device.events):
                event = self.device.events[self.cursor]
                self.cursor += 1
                if event.get("event") and event.get("type") in kinds:
                    return event
            self.device._news.clear()
            await self.device._news.wait()

    async def _ring(self, event: dict[str, Any]) -> None:
        found = re.search(r"sip:139(\d{8})@", str(event.get("accountaor", "")))
        assert found is not None, event
        number = int(found.group(1))
        self.rung[number] = self.rung.get(number, 0) + 1
        self.callers.append(str(event.get("peeruri", "")))
        if number == 3:
            return  # never answers: Careline cancels after the ring time
        if number == 2 and self.rung[number] == 1:
            await self.device.command("hangup")  # 486 Busy Here
            return
        await self.device.command("accept")
        await self._next("CALL_ESTABLISHED")
        await asyncio.sleep(0.5)
        await self.device.send_digits(ANSWERS[number], gap=0.5)
        await self._next("CALL_CLOSED")


async def _speaker(text: str, language: str) -> Prompt:
    spoken.append((text, language))
    return Prompt(pcm=tone(600.0, 0.3).astype(np.int16), name="speech")


spoken: list[tuple[str, str]] = []


async def _idle(call: Call) -> None:
    await call.wait_ended()


@pytest.mark.asyncio
async def test_survey_campaign_calls_retries_opt_out_and_restart(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    clock, policy = Clock(), _policy()
    born = date(1980, clock.today().month, min(clock.today().day, 28))
    accounts = "\n".join(
        f"<sip:139{n:08d}@127.0.0.1>;regint=0;answermode=manual;{CODECS}" for n in range(1, 5)
    )
    async with UnitOfWork(engine) as uow:
        await add_patients(uow, [replace(patient(n), birth_date=born) for n in range(1, 5)])
        campaign = await survey_campaign(uow, clock)
        await service.start_campaign(uow, campaign_id=campaign.id, clock=clock, policy=policy)
    async with phone(tmp_path, "patients", accounts, np.zeros(8000 * 60)) as device:
        patients = Patients(device)
        driver = asyncio.create_task(patients.serve())
        low, high = free_port_range(20)
        server = VoiceServer(
            host="127.0.0.1",
            port=0,
            rtp_port_min=low,
            rtp_port_max=high,
            entry_flow=_idle,
            speaker=_speaker,
            trunk=TrunkSettings("127.0.0.1", device.sip_port, caller_id=HOSPITAL),
        )
        await server.start()
        try:
            first = _dialer(engine, clock, policy, server, tmp_path, "first")
            running = asyncio.create_task(first.run())
            await _wait_answers(engine, campaign.id)
            await first.stop()
            await running
            second = _dialer(engine, clock, policy, server, tmp_path, "second")
            running = asyncio.create_task(second.run())
            await wait_no_pending(engine, campaign.id, timeout=90)
            await second.stop()
            await running
        finally:
            assert not driver.done(), driver.exception()
            driver.cancel()
            await server.stop()
    async with UnitOfWork(engine) as uow:
        targets = {
            t.patient_id: t for t in await results.list_targets(uow, campaign_id=campaign.id)
        }
        attempts = await results.list_attempts(uow, campaign_id=campaign.id)
        progress = await results.get_progress(uow, campaign_id=campaign.id)
        again = await survey_campaign(uow, clock)
        preview = await service.preview_audience(uow, campaign_id=again.id, clock=clock)
    assert {p: t.status for p, t in targets.items()} == {
        1: TargetStatus.REACHED,
        2: TargetStatus.REACHED,
        3: TargetStatus.UNREACHED,
        4: TargetStatus.OPTED_OUT,
    }
    by_patient: dict[int, list[str]] = {}
    owner = {t.id: p for p, t in targets.items()}
    for attempt in attempts:
        by_patient.setdefault(owner[attempt["target_id"]], []).append(attempt["outcome"])
    assert by_patient == {
        1: ["answered"],
        2: ["busy", "answered"],
        3: ["no_answer", "no_answer", "no_answer"],
        4: ["opted_out"],
    }
    # The phones saw exactly one call per attempt: nothing lost or repeated by the restart.
    assert patients.rung == {1: 1, 2: 2, 3: 3, 4: 1}
    assert {a["claimed_by"] for a in attempts} >= {"first", "second"}
    assert all(HOSPITAL in caller for caller in patients.callers)
    assert progress.answers == {
        "overall": {"4": 1, "5": 1},
        "again": {"no": 1, "yes": 1},
        "why": {"1": 1},
    }
    assert (preview.size, preview.do_not_call) == (3, 1)
    assert any("患者1女士您好" in text for text, _ in spoken)
    assert any("不再接收此类电话请按9" in text for text, _ in spoken)


def _dialer(
    engine: AsyncEngine,
    clock: Clock,
    policy: CampaignPolicy,
    server: VoiceServer,
    tmp: Path,
    name: str,
) -> CampaignDialer:
    return CampaignDialer(
        lambda: UnitOfWork(engine),
        clock,
        policy,
        voice=server,
        messages=False,
        recordings=tmp / "recordings",
        interval=0.2,
        worker_id=name,
    )


async def _wait_answers(engine: AsyncEngine, campaign_id: int) -> None:
    async with asyncio.timeout(60):
        while True:
            async with UnitOfWork(engine) as uow:
                progress = await results.get_progress(uow, campaign_id=campaign_id)
            if progress.by_status.get(TargetStatus.REACHED.value):
                return
            await asyncio.sleep(0.1)
