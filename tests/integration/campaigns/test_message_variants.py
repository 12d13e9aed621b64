"""SMS and email variants of a survey reach the loopback SMSC and SMTP server with the link."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.campaigns import results, service
from careline.campaigns.dialer import CampaignDialer
from careline.campaigns.model import Channel, TargetStatus
from careline.campaigns.policy import CampaignPolicy
from careline.campaigns.windows import CallingWindows, parse_windows
from careline.channels.runtime import ChannelsRuntime
from careline.config import Settings
from careline.db.uow import UnitOfWork
from careline.kit.clock import Clock
from careline.patients.model import ContactChannel
from tests.integration.campaigns.helpers import add_patients, patient, survey_campaign
from tests.support.mailserver import SinkSmtpServer
from tests.support.smsc import SmppSmsc


@pytest.mark.asyncio
async def test_sms_and_email_survey_links_are_delivered(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    clock = Clock()
    born = date(1980, clock.today().month, min(clock.today().day, 28))
    smsc, sink = SmppSmsc(system_id="careline", password="pw"), SinkSmtpServer()
    await smsc.start()
    mail_port = await sink.start()
    settings = Settings(
        data_dir=tmp_path,
        sms_provider="smpp",
        smpp_host="127.0.0.1",
        smpp_port=smsc.port,
        smpp_system_id="careline",
        smpp_password="pw",
        smpp_source_addr="Hospital",
        smtp_host="127.0.0.1",
        smtp_port=mail_port,
        channel_interval_seconds=0.1,
    )
    policy = CampaignPolicy(
        windows=CallingWindows(clock.zone, parse_windows("00:00-00:00"), lambda _: False),
        public_url="https://care.hospital.example/",
    )
    async with UnitOfWork(engine) as uow:
        await add_patients(
            uow,
            [
                replace(patient(1, channel=ContactChannel.SMS), birth_date=born),
                replace(
                    patient(2, channel=ContactChannel.EMAIL, email="p2@example.org"),
                    birth_date=born,
                ),
                replace(
                    patient(3, channel=ContactChannel.EMAIL, email="no at sign", phone=False),
                    birth_date=born,
                ),
            ],
        )
        campaign = await survey_campaign(uow, clock, channels=(Channel.SMS, Channel.EMAIL))
        await service.start_campaign(uow, campaign_id=campaign.id, clock=clock, policy=policy)
    runtime = ChannelsRuntime(settings, lambda: UnitOfWork(engine), clock)
    await runtime.start()
    dialer = CampaignDialer(
        lambda: UnitOfWork(engine),
        clock,
        policy,
        voice=None,
        messages=True,
        recordings=tmp_path,
        interval=0.1,
    )
    task = asyncio.create_task(dialer.run())
    try:
        async with asyncio.timeout(20):
            while not (smsc.texts() and sink.received):
                await asyncio.sleep(0.1)
    finally:
        await dialer.stop()
        await task
        await runtime.stop()
        await smsc.stop()
        await sink.stop()
    async with UnitOfWork(engine) as uow:
        targets = await results.list_targets(uow, campaign_id=campaign.id)
        attempts = await results.list_attempts(uow, campaign_id=campaign.id)
    tokens = {t.channel: t.token for t in targets[:2]}
    # The third address is refused by the email channel: unreached, and not retried.
    assert [t.status for t in targets] == [
        TargetStatus.SENT,
        TargetStatus.SENT,
        TargetStatus.UNREACHED,
    ]
    assert [a["outcome"] for a in attempts] == ["answered", "answered", "failed"]
    ((number, text),) = smsc.texts()
    assert number.endswith("13900000001")
    assert "患者1女士您好" in text
    assert f"https://care.hospital.example/survey/{tokens[Channel.SMS]}" in text
    (mail,) = sink.received
    assert mail.recipients == ["p2@example.org"]
    assert mail.message()["Subject"] == "就诊满意度调查"
    assert f"/survey/{tokens[Channel.EMAIL]}" in mail.message().get_content()
