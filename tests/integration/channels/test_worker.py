"""The delivery worker sends what is queued on each channel, under the rate limit."""

from __future__ import annotations

import asyncio

import pytest

from careline.channels import service
from careline.channels.delivery import email_delivery, sms_delivery
from careline.channels.model import Channel, MessageState, TokenBucket
from careline.channels.worker import DeliveryWorker
from careline.db.uow import UnitOfWorkFactory
from careline.kit.clock import FakeClock
from tests.unit.channels.fakes import FakeEmailSender, FakeSmsSender

pytestmark = pytest.mark.asyncio


async def test_worker_delivers_each_channel_and_respects_the_rate(
    uow_factory: UnitOfWorkFactory,
) -> None:
    clock, sms, mail = FakeClock(), FakeSmsSender(), FakeEmailSender()
    async with uow_factory() as uow:
        for number in range(3):
            await service.queue_sms(uow, to="+8613800138000", text=f"m{number}", clock=clock)
        await service.queue_email(uow, to="p@example.com", subject="s", text="t", clock=clock)
    worker = DeliveryWorker(
        uow_factory,
        {Channel.SMS: sms_delivery(sms), Channel.EMAIL: email_delivery(mail)},
        clock=clock,
        rates={Channel.SMS: TokenBucket(rate=1.0, capacity=2)},
    )
    rounds = await worker.run_once()
    assert (rounds[Channel.SMS].sent, rounds[Channel.SMS].rate_limited) == (2, True)
    assert rounds[Channel.EMAIL].sent == 1
    clock.advance(1)
    stop = asyncio.Event()
    worker.interval = 0.01
    task = asyncio.create_task(worker.run(stop))
    for _ in range(200):
        if len(sms.sent) == 3:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await task
    async with uow_factory() as uow:
        states = {m.state for m in await service.list_messages(uow)}
    assert states == {MessageState.SENT}
