"""The CMPP 2.0 client against a loopback ISMG: real PDUs over TCP, state in the database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime

import pytest
import pytest_asyncio
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.channels import tables as t
from careline.channels.delivery import inbound_sms_recorder, report_recorder
from careline.channels.model import MessageState
from careline.channels.ports import DeliveryReport
from careline.channels.sms.cmpp import CmppClient, CmppConfig
from careline.db.uow import UnitOfWorkFactory
from careline.kit.clock import FakeClock
from tests.integration.channels.sms_helpers import queue_and_deliver, wait_for_state
from tests.support.smsc import CmppGateway
from tests.unit.channels.fakes import TicketInbox

pytestmark = pytest.mark.asyncio
APPOINTMENT = (
    "【医院】您已预约内科门诊，就诊时间11月26日上午9:30，请携带身份证与医保卡提前15分钟"
    "到门诊楼三楼候诊区签到。如需取消请于就诊前一日17点前致电本院。"
)


@pytest_asyncio.fixture
async def gateway() -> AsyncIterator[CmppGateway]:
    server = CmppGateway(sp_id="901234", shared_secret="s3cret")
    await server.start()
    yield server
    await server.stop()


def _client(
    gateway: CmppGateway,
    uow_factory: UnitOfWorkFactory,
    clock: FakeClock,
    *,
    secret: str = "s3cret",
    timeout: float = 2.0,
    keepalive: float = 0.0,
) -> CmppClient:
    config = CmppConfig(
        "127.0.0.1",
        gateway.port,
        sp_id="901234",
        shared_secret=secret,
        src_id="10690001",
        timeout=timeout,
        keepalive=keepalive,
    )
    return CmppClient(
        config,
        on_report=report_recorder(uow_factory, clock),
        on_inbound=inbound_sms_recorder(uow_factory, TicketInbox(set()), clock),
        now=lambda: datetime(2026, 11, 25, 14, 30, 0),
    )


async def test_chinese_text_is_segmented_submitted_and_reported_delivered(
    gateway: CmppGateway,
    uow_factory: UnitOfWorkFactory,
) -> None:
    clock = FakeClock()
    client = _client(gateway, uow_factory, clock)
    try:
        sent = await queue_and_deliver(uow_factory, client, clock, APPOINTMENT)
        assert sent.state in (MessageState.SENT, MessageState.DELIVERED)
        assert gateway.logins == 1
        assert [s.destination for s in gateway.segments] == ["13800138000"] * 2
        assert [s.alphabet for s in gateway.segments] == [8, 8]
        assert [s.udh[1:] for s in gateway.segments if s.udh] == [(2, 1), (2, 2)]
        assert gateway.texts() == [("13800138000", APPOINTMENT)]
        assert sent.provider_message_id == gateway.segments[0].message_id
        delivered = await wait_for_state(uow_factory, sent.id, MessageState.DELIVERED)
        assert delivered.delivered_at is not None
    finally:
        await client.close()


async def test_mobile_originated_text_is_stored_and_acknowledged(
    gateway: CmppGateway,
    uow_factory: UnitOfWorkFactory,
    engine: AsyncEngine,
) -> None:
    clock = FakeClock()
    client = _client(gateway, uow_factory, clock)
    try:
        sent = await queue_and_deliver(uow_factory, client, clock, "hi")
        await wait_for_state(uow_factory, sent.id, MessageState.DELIVERED)
        for _ in range(100):
            if gateway.inbound_acks == 1:  # the receipt's DELIVER_RESP
                break
            await asyncio.sleep(0.02)
        acks_before = gateway.inbound_acks
        gateway.push_mobile_originated("13800138000", "取消预约")
        for _ in range(100):
            async with engine.connect() as conn:
                rows = (await conn.execute(sa.select(t.inbound_sms))).all()
            if rows:
                break
            await asyncio.sleep(0.05)
        assert [(r.sender, r.text, r.provider) for r in rows] == [
            ("13800138000", "取消预约", "cmpp")
        ]
        for _ in range(100):
            if gateway.inbound_acks > acks_before:
                break
            await asyncio.sleep(0.02)
        assert gateway.inbound_acks == acks_before + 1
    finally:
        await client.close()


async def test_wrong_secret_keeps_the_message_queued(
    gateway: CmppGateway,
    uow_factory: UnitOfWorkFactory,
) -> None:
    clock = FakeClock()
    client = _client(gateway, uow_factory, clock, secret="wrong")
    sent = await queue_and_deliver(uow_factory, client, clock, "hello")
    assert (sent.state, sent.attempts) == (MessageState.QUEUED, 1)
    assert sent.last_error == "the gateway refused the login: authentication failed"
    assert gateway.segments == []


async def test_malformed_response_keeps_the_message_for_a_retry(
    gateway: CmppGateway,
    uow_factory: UnitOfWorkFactory,
) -> None:
    clock = FakeClock()
    gateway.mode = "malformed"
    client = _client(gateway, uow_factory, clock)
    try:
        first = await queue_and_deliver(uow_factory, client, clock, "复诊提醒")
        assert first.state is MessageState.QUEUED
        assert first.last_error is not None
        assert first.last_error.startswith("the SMS gateway sent a malformed PDU")
        gateway.mode = "normal"
        clock.advance(30)
        second = await queue_and_deliver(uow_factory, client, clock, "第二条")
        retried = await wait_for_state(uow_factory, first.id, MessageState.DELIVERED)
        assert retried.attempts == 2
        assert second.state in (MessageState.SENT, MessageState.DELIVERED)
        assert gateway.logins == 2
    finally:
        await client.close()


async def test_silent_gateway_times_out_and_the_message_stays_queued(
    gateway: CmppGateway,
    uow_factory: UnitOfWorkFactory,
) -> None:
    clock = FakeClock()
    gateway.mode = "silent"
    client = _client(gateway, uow_factory, clock, timeout=0.3)
    try:
        sent = await queue_and_deliver(uow_factory, client, clock, "hello")
        assert (sent.state, sent.attempts) == (MessageState.QUEUED, 1)
        assert sent.last_error == "the SMS gateway did not answer in time"
        assert sent.provider_message_id is None
    finally:
        await client.close()


async def test_idle_link_sends_active_test(
    gateway: CmppGateway,
    uow_factory: UnitOfWorkFactory,
) -> None:
    clock = FakeClock()
    client = _client(gateway, uow_factory, clock, keepalive=0.05)
    try:
        await queue_and_deliver(uow_factory, client, clock, "hi")
        for _ in range(100):
            if gateway.keepalives >= 2:
                break
            await asyncio.sleep(0.05)
        assert gateway.keepalives >= 2
    finally:
        await client.close()


async def test_report_that_cannot_be_stored_is_not_acknowledged(
    gateway: CmppGateway,
    uow_factory: UnitOfWorkFactory,
) -> None:
    tried: list[DeliveryReport] = []

    async def broken_store(report: DeliveryReport) -> None:
        tried.append(report)
        raise OSError("database away")

    clock = FakeClock()
    client = _client(gateway, uow_factory, clock)
    client.on_report = broken_store
    try:
        sent = await queue_and_deliver(uow_factory, client, clock, "hello")
        await queue_and_deliver(uow_factory, client, clock, "the link still works")
        for _ in range(100):
            if len(tried) == 2:
                break
            await asyncio.sleep(0.05)
        assert [report.status for report in tried] == ["DELIVRD", "DELIVRD"]
        assert len(gateway.segments) == 2
        assert gateway.inbound_acks == 0
        assert sent.state is MessageState.SENT
    finally:
        await client.close()
