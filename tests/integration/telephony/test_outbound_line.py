"""Careline's own calls on a line of their own (``careline serve --voice-workers`` > 1).

The outbound line is a voice server on a free SIP port with the trunk settings: the
campaign worker calls a real baresip behind the trunk through it, and calls that arrive on
that port are refused.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.campaigns import results
from careline.campaigns.model import (
    TargetStatus,
)
from careline.campaigns.policy import campaign_policy
from careline.campaigns.runtime import CampaignWorker
from careline.config import Settings
from careline.db.uow import UnitOfWork
from careline.kit.clock import Clock
from careline.telephony.outbound_line import start_outbound_line
from tests.integration.campaigns.helpers import (
    add_patients,
    patient,
    started_voice_reminder,
    wait_no_pending,
)
from tests.integration.telephony.phones import CODECS, phone
from tests.integration.telephony.sipclient import Dialogue, RawSip, sdp
from tests.support.ports import free_port_range

pytestmark = pytest.mark.sip
HOSPITAL = "02150000000"


@pytest.mark.asyncio
async def test_campaigns_call_through_the_outbound_line_and_it_refuses_inbound(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    account = f"<sip:13900000001@127.0.0.1>;regint=0;answermode=auto;{CODECS}"
    async with phone(tmp_path, "patient", account, np.zeros(8000 * 30)) as device:
        low, high = free_port_range(20)
        settings = Settings(
            data_dir=tmp_path,
            trunk_host="127.0.0.1",
            trunk_port=device.sip_port,
            trunk_caller_id=HOSPITAL,
            rtp_port_min=low,
            rtp_port_max=high,
            campaign_windows="00:00-00:00",
            campaign_interval_seconds=0.2,
            campaign_key_timeout_seconds=1.0,
        )
        clock = Clock()
        async with UnitOfWork(engine) as uow:
            await add_patients(uow, [patient(1)])
            campaign = await started_voice_reminder(uow, clock, campaign_policy(settings))
        line = await start_outbound_line(settings)
        assert line is not None
        worker = CampaignWorker(settings, lambda: UnitOfWork(engine), clock, voice=line)
        await worker.start()
        try:
            assert line.port not in (0, settings.sip_port, device.sip_port)
            await wait_no_pending(engine, campaign.id, timeout=60)
            caller = await RawSip.open()
            try:
                dialogue = Dialogue(caller, ("127.0.0.1", line.port))
                dialogue.send(dialogue.request("INVITE", body=sdp()))
                refused = await caller.expect("480")
            finally:
                caller.close()
        finally:
            await worker.stop()
            await line.stop()
    async with UnitOfWork(engine) as uow:
        targets = await results.list_targets(uow, campaign_id=campaign.id)
        attempts = await results.list_attempts(uow, campaign_id=campaign.id)
    assert [t.status for t in targets] == [TargetStatus.REACHED]
    assert [a["outcome"] for a in attempts] == ["answered"]
    # One call reached the phone (auto answer), from the hospital's number.
    calls = [e for e in device.events if e.get("event") and e.get("type") == "CALL_ESTABLISHED"]
    assert len(calls) == 1
    assert HOSPITAL in str(calls[0].get("peeruri", ""))
    assert re.match(rb"SIP/2\.0 480", refused)


@pytest.mark.asyncio
async def test_a_taken_outbound_port_gives_no_line(tmp_path: Path) -> None:
    taken = await RawSip.open()
    try:
        settings = Settings(
            data_dir=tmp_path,
            trunk_host="127.0.0.1",
            outbound_sip_port=taken.port,
        )
        assert await start_outbound_line(settings) is None
        # The port's owner is untouched and still serves.
        probe = await RawSip.open()
        try:
            probe.send(b"OPTIONS sip:x SIP/2.0\r\n\r\n", ("127.0.0.1", taken.port))
            assert await taken.first(b"OPTIONS", 2.0) is not None
        finally:
            probe.close()
    finally:
        taken.close()
