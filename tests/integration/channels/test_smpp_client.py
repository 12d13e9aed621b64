"""The SMPP 3.4 client against a loopback SMSC: real PDUs over TCP, state in the database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.channels import tables as t
from careline.channels.delivery import inbound_sms_recorder, report_recorder
from careline.channels.model import MessageState
from careline.channels.sms.smpp import SmppClient, SmppConfig
from careline.db.uow import UnitOfWorkFactory
from careline.kit.clock import FakeClock
from tests.integration.channels.sms_helpers import queue_and_deliver, wait_for_state
from tests.support.smsc import SmppSmsc, push_smpp_mobile_originated
from tests.unit.channels.fakes import TicketInbox

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def smsc() -> AsyncIterator[SmppSmsc]:
    server = SmppSmsc(system_id="careline", password="pw")
    await server.start()
    yield server
    await server.stop()


def _client(
    smsc: SmppSmsc,
    uow_factory: UnitOfWorkFactory,
    clock: FakeClock,
    *,
    password: str = "pw",
    timeout: float = 2.0,
) -> SmppClient:
    config = SmppConfig(
        "127.0.0.1",
        smsc.port,
        system_id="careline",
        password=password,
        source_addr="Hospital",
        timeout=timeout,
        keepalive=0,
    )
    return SmppClient(
        config,
        on_report=report_recorder(uow_factory, clock),
        on_inbound=inbound_sms_recorder(uow_factory, TicketInbox(set()), clock),
    )


async def test_english_text_goes_as_gsm_7bit_in_two_segments_and_is_delivered(
    smsc: SmppSmsc,
    uow_factory: UnitOfWorkFactory,
) -> None:
    clock = FakeClock()
    text = "Reminder: " + "please bring your ID card and insurance card. " * 4
    client = _client(smsc, uow_factory, clock)
    try:
        sent = await queue_and_deliver(uow_factory, client, clock, text, to="+8613800138000")
        assert smsc.binds == 1
        assert [(s.destination, s.alphabet) for s in smsc.segments] == [
            ("8613800138000", 0),
            ("8613800138000", 0),
        ]
        assert [s.udh[1:] for s in smsc.segments if s.udh] == [(2, 1), (2, 2)]
        assert len(smsc.segments[0].text) == 153
        assert smsc.texts() == [("8613800138000", text)]
        assert sent.provider_message_id == smsc.segments[0].message_id
        await wait_for_state(uow_factory, sent.id, MessageState.DELIVERED)
    finally:
        await client.close()


async def test_chinese_text_goes_as_ucs2(smsc: SmppSmsc, uow_factory: UnitOfWorkFactory) -> None:
    clock = FakeClock()
    client = _client(smsc, uow_factory, clock)
    try:
        await queue_and_deliver(uow_factory, client, clock, "您的验证码是 482913。")
        assert [(s.alphabet, s.text, s.udh) for s in smsc.segments] == [
            (8, "您的验证码是 482913。", None)
        ]
    finally:
        await client.close()


async def test_undelivered_receipt_marks_the_message_failed(
    smsc: SmppSmsc,
    uow_factory: UnitOfWorkFactory,
) -> None:
    clock = FakeClock()
    smsc.receipt_stat = "UNDELIV"
    client = _client(smsc, uow_factory, clock)
    try:
        sent = await queue_and_deliver(uow_factory, client, clock, "hello")
        failed = await wait_for_state(uow_factory, sent.id, MessageState.FAILED)
        assert failed.last_error == "provider reported UNDELIV"
    finally:
        await client.close()


async def test_refused_bind_keeps_the_message_queued(
    smsc: SmppSmsc,
    uow_factory: UnitOfWorkFactory,
) -> None:
    clock = FakeClock()
    client = _client(smsc, uow_factory, clock, password="nope")
    sent = await queue_and_deliver(uow_factory, client, clock, "hello")
    assert (sent.state, sent.last_error) == (
        MessageState.QUEUED,
        "the SMSC refused the bind (status 14)",
    )
    assert smsc.segments == []


async def test_malformed_response_keeps_the_message_for_a_retry(
    smsc: SmppSmsc,
    uow_factory: UnitOfWorkFactory,
) -> None:
    clock = FakeClock()
    smsc.mode = "malformed"
    client = _client(smsc, uow_factory, clock)
    try:
        first = await queue_and_deliver(uow_factory, client, clock, "hello")
        assert first.state is MessageState.QUEUED
        assert first.last_error is not None
        assert "malformed" in first.last_error
        smsc.mode = "normal"
        clock.advance(30)
        await queue_and_deliver(uow_factory, client, clock, "second")
        retried = await wait_for_state(uow_factory, first.id, MessageState.DELIVERED)
        assert retried.attempts == 2
    finally:
        await client.close()


async def test_slow_smsc_times_out_and_the_message_stays_queued(
    smsc: SmppSmsc,
    uow_factory: UnitOfWorkFactory,
) -> None:
    clock = FakeClock()
    smsc.mode = "silent"
    client = _client(smsc, uow_factory, clock, timeout=0.3)
    try:
        sent = await queue_and_deliver(uow_factory, client, clock, "hello")
        assert (sent.state, sent.last_error) == (
            MessageState.QUEUED,
            "the SMS gateway did not answer in time",
        )
    finally:
        await client.close()


async def test_mobile_originated_text_is_stored_and_acknowledged(
    smsc: SmppSmsc,
    uow_factory: UnitOfWorkFactory,
    engine: AsyncEngine,
) -> None:
    clock = FakeClock()
    smsc.auto_receipt = False
    client = _client(smsc, uow_factory, clock)
    try:
        await queue_and_deliver(uow_factory, client, clock, "hi")
        push_smpp_mobile_originated(smsc, "8613800138000", "我要改约到周五")
        for _ in range(100):
            async with engine.connect() as conn:
                rows = (await conn.execute(sa.select(t.inbound_sms))).all()
            if rows and smsc.inbound_acks:
                break
            await asyncio.sleep(0.05)
        assert [(r.sender, r.text, r.provider) for r in rows] == [
            ("8613800138000", "我要改约到周五", "smpp")
        ]
        assert smsc.inbound_acks == 1
    finally:
        await client.close()
