"""Queueing, delivering, retrying and receipts on SQLite and PostgreSQL (ports faked)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.channels import service
from careline.channels import tables as t
from careline.channels.delivery import email_delivery, fax_delivery, sms_delivery
from careline.channels.errors import InvalidRecipient, MessageTooLong, SendFailed
from careline.channels.model import Channel, MessageState, RetryPolicy, TokenBucket
from careline.channels.ports import DeliveryReport
from careline.db.uow import UnitOfWork
from careline.kit.clock import FakeClock
from tests.unit.channels.fakes import FakeEmailSender, FakeFaxSender, FakeSmsSender

MOBILE = "+8613800138000"
pytestmark = pytest.mark.asyncio


async def _count(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(
            (
                await conn.execute(sa.select(sa.func.count()).select_from(t.channel_messages))
            ).scalar_one()
        )


async def test_invalid_phone_number_is_refused_and_nothing_is_stored(
    any_engine: AsyncEngine,
) -> None:
    async with UnitOfWork(any_engine) as uow:
        with pytest.raises(InvalidRecipient, match="does not exist in its numbering plan"):
            await service.queue_sms(uow, to="12345", text="hi", clock=FakeClock())
    assert await _count(any_engine) == 0


async def test_text_too_long_is_refused_before_storing(any_engine: AsyncEngine) -> None:
    async with UnitOfWork(any_engine) as uow:
        with pytest.raises(MessageTooLong):
            await service.queue_sms(uow, to=MOBILE, text="好" * 800, clock=FakeClock())
    assert await _count(any_engine) == 0


async def test_sms_goes_queued_sent_delivered(any_engine: AsyncEngine) -> None:
    clock, sender = FakeClock(), FakeSmsSender()
    async with UnitOfWork(any_engine) as uow:
        queued = await service.queue_sms(
            uow,
            to="138 0013 8000",
            template="appointment_reminder",
            clock=clock,
            values={"department": "内科", "date": "11月26日", "time": "09:30"},
        )
        assert (queued.state, queued.recipient) == (MessageState.QUEUED, MOBILE)
        done = await service.deliver_due_messages(
            uow, channel=Channel.SMS, deliver=sms_delivery(sender), clock=clock
        )
        assert done.sent == 1
        sent = await service.get_message(uow, message_id=queued.id)
        assert (sent.state, sent.provider_message_id, sent.attempts) == (MessageState.SENT, "f1", 1)
        assert sender.sent[0].template_params == ("内科", "11月26日", "09:30")
        report = DeliveryReport("fake-sms", "f1", True, "DELIVRD")
        delivered = await service.record_delivery_report(uow, report=report, clock=clock)
        assert delivered is not None
        assert delivered.state is MessageState.DELIVERED


async def test_long_sms_is_delivered_only_when_every_segment_is(any_engine: AsyncEngine) -> None:
    clock, sender = FakeClock(), FakeSmsSender()
    async with UnitOfWork(any_engine) as uow:
        queued = await service.queue_sms(uow, to=MOBILE, text="好" * 100, clock=clock)
        await service.deliver_due_messages(
            uow, channel=Channel.SMS, deliver=sms_delivery(sender), clock=clock
        )
        first = await service.record_delivery_report(
            uow, report=DeliveryReport("fake-sms", "f1", True, "DELIVRD"), clock=clock
        )
        assert first is not None
        assert first.state is MessageState.SENT
        second = await service.record_delivery_report(
            uow, report=DeliveryReport("fake-sms", "f2", False, "UNDELIV"), clock=clock
        )
        assert second is not None
        assert second.id == queued.id
        assert second.state is MessageState.FAILED
        assert second.last_error == "provider reported UNDELIV"


async def test_retryable_failure_stays_queued_with_backoff_then_gives_up(
    any_engine: AsyncEngine,
) -> None:
    clock, sender = FakeClock(), FakeSmsSender()
    sender.failures = [SendFailed("gateway busy"), SendFailed("gateway busy")]
    policy = RetryPolicy(max_attempts=2, first_delay_seconds=30)
    deliver = sms_delivery(sender)
    async with UnitOfWork(any_engine) as uow:
        queued = await service.queue_sms(uow, to=MOBILE, text="hello", clock=clock)
        first = await service.deliver_due_messages(
            uow, channel=Channel.SMS, deliver=deliver, clock=clock, policy=policy
        )
        assert first.retrying == 1
        waiting = await service.get_message(uow, message_id=queued.id)
        assert (waiting.state, waiting.attempts, waiting.last_error) == (
            MessageState.QUEUED,
            1,
            "gateway busy",
        )
        assert waiting.next_attempt_at == clock.now() + policy.delay_after(1)
        too_soon = await service.deliver_due_messages(
            uow, channel=Channel.SMS, deliver=deliver, clock=clock
        )
        assert too_soon == service.DeliveryRound()
        clock.advance(30)
        await service.deliver_due_messages(
            uow, channel=Channel.SMS, deliver=deliver, clock=clock, policy=policy
        )
        failed = await service.get_message(uow, message_id=queued.id)
        assert (failed.state, failed.attempts) == (MessageState.FAILED, 2)
    assert sender.sent == []


async def test_final_refusal_fails_at_once(any_engine: AsyncEngine) -> None:
    clock, sender = FakeClock(), FakeSmsSender()
    sender.failures = [SendFailed("number barred", retryable=False)]
    async with UnitOfWork(any_engine) as uow:
        queued = await service.queue_sms(uow, to=MOBILE, text="hello", clock=clock)
        done = await service.deliver_due_messages(
            uow, channel=Channel.SMS, deliver=sms_delivery(sender), clock=clock
        )
        assert done.failed == 1
        failed = await service.get_message(uow, message_id=queued.id)
        assert (failed.state, failed.last_error) == (MessageState.FAILED, "number barred")


async def test_rate_limit_leaves_the_rest_queued_and_due(any_engine: AsyncEngine) -> None:
    clock, sender = FakeClock(), FakeSmsSender()
    bucket = TokenBucket(rate=1.0, capacity=2)
    async with UnitOfWork(any_engine) as uow:
        for number in range(4):
            await service.queue_sms(uow, to=MOBILE, text=f"msg {number}", clock=clock)
        done = await service.deliver_due_messages(
            uow, channel=Channel.SMS, bucket=bucket, deliver=sms_delivery(sender), clock=clock
        )
        assert (done.sent, done.rate_limited) == (2, True)
        queued = await service.list_messages(uow, state=MessageState.QUEUED)
        assert len(queued) == 2
        assert all(m.next_attempt_at == clock.now() and m.attempts == 0 for m in queued)
        clock.advance(2)
        again = await service.deliver_due_messages(
            uow, channel=Channel.SMS, bucket=bucket, deliver=sms_delivery(sender), clock=clock
        )
        assert again.sent == 2
    assert [request.text for request in sender.sent] == [f"msg {n}" for n in range(4)]


async def test_receipt_that_overtakes_the_submit_is_applied_later(
    any_engine: AsyncEngine,
) -> None:
    clock, sender = FakeClock(), FakeSmsSender()
    async with UnitOfWork(any_engine) as uow:
        early = DeliveryReport("fake-sms", "f1", True, "DELIVRD")
        assert await service.record_delivery_report(uow, report=early, clock=clock) is None
        queued = await service.queue_sms(uow, to=MOBILE, text="hello", clock=clock)
        await service.deliver_due_messages(
            uow, channel=Channel.SMS, deliver=sms_delivery(sender), clock=clock
        )
        delivered = await service.get_message(uow, message_id=queued.id)
    assert delivered.state is MessageState.DELIVERED


async def test_receipt_for_an_unknown_id_changes_nothing(any_engine: AsyncEngine) -> None:
    async with UnitOfWork(any_engine) as uow:
        report = DeliveryReport("fake-sms", "nope", True, "DELIVRD")
        assert await service.record_delivery_report(uow, report=report, clock=FakeClock()) is None


async def test_email_and_fax_are_sent_through_their_ports(any_engine: AsyncEngine) -> None:
    clock, mail, fax = FakeClock(), FakeEmailSender(), FakeFaxSender()
    async with UnitOfWork(any_engine) as uow:
        await service.queue_email(uow, to="p@example.com", subject="回复", text="您好", clock=clock)
        queued_fax = await service.queue_fax(
            uow, number="010 8888 6666", title="须知", body="请空腹。", clock=clock
        )
        await service.deliver_due_messages(
            uow, channel=Channel.EMAIL, deliver=email_delivery(mail), clock=clock
        )
        await service.deliver_due_messages(
            uow, channel=Channel.FAX, deliver=fax_delivery(fax), clock=clock
        )
        sent_fax = await service.get_message(uow, message_id=queued_fax.id)
    assert mail.sent[0].subject == "回复"
    assert fax.sent[0][0] == "+861088886666"
    assert fax.sent[0][1][:2] in (b"II", b"MM")
    assert (sent_fax.state, sent_fax.provider_message_id) == (MessageState.SENT, "1")


async def test_invalid_email_address_is_refused(any_engine: AsyncEngine) -> None:
    async with UnitOfWork(any_engine) as uow:
        with pytest.raises(InvalidRecipient):
            await service.queue_email(
                uow, to="not an address", subject="x", text="y", clock=FakeClock()
            )


async def test_receipts_that_never_match_are_purged_after_three_days(
    any_engine: AsyncEngine,
) -> None:
    clock = FakeClock()
    async with UnitOfWork(any_engine) as uow:
        report = DeliveryReport("fake-sms", "stray", True, "DELIVRD")
        await service.record_delivery_report(uow, report=report, clock=clock)
        assert await service.purge_stale_receipts(uow, clock=clock) == 0
        clock.advance(3 * 86400 + 1)
        assert await service.purge_stale_receipts(uow, clock=clock) == 1
