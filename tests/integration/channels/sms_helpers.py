"""Shared steps of the SMS adapter tests: queue, deliver, wait for the stored state."""

from __future__ import annotations

import asyncio

from careline.channels import service
from careline.channels.delivery import sms_delivery
from careline.channels.model import Channel, MessageState, OutboundMessage
from careline.channels.ports import SmsSender
from careline.db.uow import UnitOfWorkFactory
from careline.kit.clock import FakeClock


async def queue_and_deliver(
    uow_factory: UnitOfWorkFactory,
    sender: SmsSender,
    clock: FakeClock,
    text: str,
    to: str = "+8613800138000",
) -> OutboundMessage:
    """Queue one SMS, run one delivery round, return the stored message."""
    async with uow_factory() as uow:
        queued = await service.queue_sms(uow, to=to, text=text, clock=clock)
        await service.deliver_due_messages(
            uow, channel=Channel.SMS, deliver=sms_delivery(sender), clock=clock
        )
        return await service.get_message(uow, message_id=queued.id)


async def wait_for_state(
    uow_factory: UnitOfWorkFactory, message_id: int, state: MessageState
) -> OutboundMessage:
    """Wait (up to 5 s) until a message reaches ``state``; return it."""
    for _ in range(100):
        async with uow_factory() as uow:
            message = await service.get_message(uow, message_id=message_id)
        if message.state is state:
            return message
        await asyncio.sleep(0.05)
    raise AssertionError(f"message stayed {message.state}, never {state}")
