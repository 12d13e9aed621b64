"""Tickets on SQLite and PostgreSQL: numbers, routing, replies, the clock, merges, status."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.channels import service as channels
from careline.channels.model import Channel, find_ticket_token
from careline.complaints import service, workflow
from careline.complaints.feedback import FeedbackDialer
from careline.complaints.model import (
    EventKind,
    FeedbackChannel,
    InvalidTicket,
    InvalidTicketNumber,
    InvalidTransition,
    TicketDraft,
    TicketKind,
    TicketNotFound,
    TicketSource,
    TicketStatus,
    make_ticket_number,
)
from careline.complaints.routing import RoutingRule
from careline.db.uow import UnitOfWork
from careline.kit.clock import FakeClock

pytestmark = pytest.mark.asyncio
# Wednesday 25 November 2026, 09:00 in Shanghai.
START = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)


def draft(**overrides: object) -> TicketDraft:
    values: dict[str, object] = {
        "kind": TicketKind.COMPLAINT,
        "source": TicketSource.DESK,
        "subject": "收费有误",
        "body": "门诊收费多收了50元",
        "contact_phone": "138 0013 8000",
        "contact_email": "wang@example.com",
        "feedback_channel": FeedbackChannel.EMAIL,
        "first_contact_staff_id": 7,
    }
    values.update(overrides)
    return TicketDraft(**values)  # type: ignore[arg-type]


async def test_numbers_follow_the_daily_sequence_and_are_never_reused(
    any_engine: AsyncEngine,
) -> None:
    clock = FakeClock(START)
    async with UnitOfWork(any_engine) as uow:
        first = await service.open_ticket(uow, draft=draft(), clock=clock)
        second = await service.open_ticket(uow, draft=draft(), clock=clock)
        clock.advance(86400)
        next_day = await service.open_ticket(uow, draft=draft(), clock=clock)
    assert first.number == make_ticket_number(START.date(), 1)
    assert second.number == make_ticket_number(START.date(), 2)
    assert next_day.number.startswith("26112600001")
    assert first.first_contact_staff_id == 7  # 首诉负责制: who took it is kept
    assert first.contact_phone == "+8613800138000"


async def test_routing_rule_sends_to_a_department_and_the_rest_to_the_office(
    any_engine: AsyncEngine,
) -> None:
    clock = FakeClock(START)
    async with UnitOfWork(any_engine) as uow:
        await service.add_routing_rule(
            uow, rule=RoutingRule(0, target_department_id=3, keywords=("收费",))
        )
        billed = await service.open_ticket(uow, draft=draft(), clock=clock)
        other = await service.open_ticket(
            uow, draft=draft(subject="x", body="饭菜太咸"), clock=clock
        )
        office = await service.list_queue(uow, department_id=None)
        billing = await service.list_queue(uow, department_id=3)
    assert billed.queue_department_id == 3
    assert other.queue_department_id is None
    assert [t.id for t in office] == [other.id]
    assert [t.id for t in billing] == [billed.id]


async def test_invalid_phone_is_refused_and_nothing_stored(any_engine: AsyncEngine) -> None:
    clock = FakeClock(START)
    async with UnitOfWork(any_engine) as uow:
        with pytest.raises(InvalidTicket, match="numbering plan") as caught:
            await service.open_ticket(uow, draft=draft(contact_phone="12345"), clock=clock)
        assert caught.value.field == "contact_phone"
        assert await service.list_queue(uow, department_id=None) == []


async def test_reply_and_resolution_reach_the_patient_by_email_with_the_token(
    any_engine: AsyncEngine,
) -> None:
    clock = FakeClock(START)
    async with UnitOfWork(any_engine) as uow:
        ticket = await service.open_ticket(uow, draft=draft(), clock=clock)
        taken = await workflow.take_ticket(uow, ticket_id=ticket.id, staff_id=5, clock=clock)
        assert (taken.status, taken.assignee_staff_id) == (TicketStatus.IN_PROGRESS, 5)
        outcome = await workflow.reply_to_patient(
            uow, ticket_id=ticket.id, staff_id=5, body="我们正在核实。", clock=clock
        )
        resolved, _ = await workflow.resolve_ticket(
            uow, ticket_id=ticket.id, staff_id=5, resolution="已退还50元。", clock=clock
        )
        messages = await channels.list_messages(uow)
        history = await service.ticket_history(uow, ticket_id=ticket.id)
    assert outcome.channel is FeedbackChannel.EMAIL
    assert resolved.status is TicketStatus.RESOLVED
    assert resolved.first_responded_at == START
    assert resolved.next_escalation_at is None
    assert resolved.warn_at is None
    assert {m.channel for m in messages} == {Channel.EMAIL}
    assert all(find_ticket_token(m.subject) == ticket.number for m in messages)
    assert any("已退还50元" in m.body for m in messages)
    statuses = [
        (e.from_status, e.to_status, e.staff_id) for e in history if e.kind is EventKind.STATUS
    ]
    assert statuses == [
        (None, TicketStatus.NEW, 7),
        (TicketStatus.NEW, TicketStatus.IN_PROGRESS, 5),
        (TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED, 5),
    ]


async def test_sms_preference_queues_the_ticket_reply_template(any_engine: AsyncEngine) -> None:
    clock = FakeClock(START)
    async with UnitOfWork(any_engine) as uow:
        ticket = await service.open_ticket(
            uow, draft=draft(feedback_channel=FeedbackChannel.SMS), clock=clock
        )
        await workflow.reply_to_patient(
            uow, ticket_id=ticket.id, staff_id=5, body="好" * 900, clock=clock
        )
        [message] = await channels.list_messages(uow)
    assert message.channel is Channel.SMS
    assert message.recipient == "+8613800138000"
    assert ticket.number in message.body
    assert message.body.endswith("…")  # cut to fit, the full text stays on the ticket


async def test_voice_preference_without_a_dialer_falls_back_to_sms(
    any_engine: AsyncEngine,
) -> None:
    clock = FakeClock(START)
    async with UnitOfWork(any_engine) as uow:
        ticket = await service.open_ticket(
            uow, draft=draft(feedback_channel=FeedbackChannel.VOICE), clock=clock
        )
        outcome = await workflow.reply_to_patient(
            uow, ticket_id=ticket.id, staff_id=5, body="已处理", clock=clock
        )
    assert outcome.channel is FeedbackChannel.SMS


async def test_waiting_for_the_patient_pauses_the_clock(any_engine: AsyncEngine) -> None:
    clock = FakeClock(START)
    async with UnitOfWork(any_engine) as uow:
        ticket = await service.open_ticket(uow, draft=draft(), clock=clock)
        await workflow.take_ticket(uow, ticket_id=ticket.id, staff_id=5, clock=clock)
        waiting = await workflow.change_status(
            uow,
            ticket_id=ticket.id,
            to=TicketStatus.AWAITING_PATIENT,
            staff_id=5,
            reason="asked for the receipt",
            clock=clock,
        )
        assert waiting.next_escalation_at is None
        clock.advance(2 * 86400)  # Friday
        back = await workflow.record_patient_message(
            uow, ticket_id=ticket.id, body="收据已附上", clock=clock
        )
        await uow.commit()
    assert back.status is TicketStatus.IN_PROGRESS
    assert ticket.resolution_due_at is not None
    assert back.resolution_due_at is not None
    # Due end of Wednesday 2 December; Thursday and Friday passed while waiting, so the
    # deadline moves two working days on, to the end of Friday 4 December.
    assert ticket.resolution_due_at == datetime(2026, 12, 2, 16, 0, tzinfo=UTC)
    assert back.resolution_due_at == datetime(2026, 12, 4, 16, 0, tzinfo=UTC)
    assert back.paused_at is None
    assert back.next_escalation_at is not None


async def test_merge_closes_the_duplicate_and_status_follows_the_survivor(
    any_engine: AsyncEngine,
) -> None:
    clock = FakeClock(START)
    async with UnitOfWork(any_engine) as uow:
        first = await service.open_ticket(uow, draft=draft(), clock=clock)
        dup = await service.open_ticket(uow, draft=draft(), clock=clock)
        await workflow.merge_tickets(
            uow, duplicate_id=dup.id, survivor_id=first.id, staff_id=5, reason="", clock=clock
        )
        closed = await service.get_ticket(uow, ticket_id=dup.id)
        status = await service.get_ticket_status(uow, number=dup.number)
        with pytest.raises(InvalidTicket):
            await workflow.merge_tickets(
                uow, duplicate_id=first.id, survivor_id=dup.id, staff_id=5, reason="", clock=clock
            )
    assert (closed.status, closed.merged_into_id) == (TicketStatus.CLOSED, first.id)
    assert status.number == first.number


async def test_status_by_number_and_phone(any_engine: AsyncEngine) -> None:
    clock = FakeClock(START)
    async with UnitOfWork(any_engine) as uow:
        ticket = await service.open_ticket(uow, draft=draft(), clock=clock)
        seen = await service.check_status_with_phone(uow, number=ticket.number, phone="13800138000")
        with pytest.raises(TicketNotFound):
            await service.check_status_with_phone(uow, number=ticket.number, phone="13900139000")
        wrong_check = ticket.number[:-1] + str((int(ticket.number[-1]) + 1) % 10)
        with pytest.raises(InvalidTicketNumber):
            await service.get_ticket_status(uow, number=wrong_check)
        with pytest.raises(TicketNotFound):
            await service.get_ticket_status(uow, number=make_ticket_number(START.date(), 999))
        with pytest.raises(InvalidTicket, match="phone"):
            await service.check_status_with_phone(uow, number=ticket.number, phone="abc")
    assert (seen.status, seen.number) == (TicketStatus.NEW, ticket.number)


async def test_manual_escalation_needs_a_reason_and_stops_at_the_top(
    any_engine: AsyncEngine,
) -> None:
    clock = FakeClock(START)
    async with UnitOfWork(any_engine) as uow:
        ticket = await service.open_ticket(uow, draft=draft(), clock=clock)
        with pytest.raises(InvalidTransition, match="reason"):
            await workflow.escalate_ticket(
                uow, ticket_id=ticket.id, staff_id=5, reason="", clock=clock
            )
        one = await workflow.escalate_ticket(
            uow, ticket_id=ticket.id, staff_id=5, reason="patient very upset", clock=clock
        )
        two = await workflow.escalate_ticket(
            uow, ticket_id=ticket.id, staff_id=5, reason="press involved", clock=clock
        )
        with pytest.raises(InvalidTransition, match="highest"):
            await workflow.escalate_ticket(
                uow, ticket_id=ticket.id, staff_id=5, reason="again", clock=clock
            )
    assert (one.escalation_level, two.escalation_level) == (1, 2)
    assert two.status is TicketStatus.ESCALATED
    assert two.next_escalation_at is None


async def test_concurrent_intake_never_hands_out_a_number_twice(any_engine: AsyncEngine) -> None:
    clock = FakeClock(START)

    async def open_one() -> str:
        async with UnitOfWork(any_engine) as uow:
            return (await service.open_ticket(uow, draft=draft(), clock=clock)).number

    numbers = await asyncio.gather(*(open_one() for _ in range(6)))
    assert sorted(numbers) == sorted(make_ticket_number(START.date(), n) for n in range(1, 7))


async def test_voice_message_with_only_a_recording_is_a_ticket(any_engine: AsyncEngine) -> None:
    clock = FakeClock(START)
    async with UnitOfWork(any_engine) as uow:
        ticket = await service.open_ticket(
            uow,
            draft=draft(
                source=TicketSource.IVR, subject="", body="", recording_path="voicemail/7.wav"
            ),
            clock=clock,
        )
        with pytest.raises(InvalidTicket, match="describe"):
            await service.open_ticket(uow, draft=draft(subject="", body=" "), clock=clock)
    assert (ticket.source, ticket.recording_path) == (TicketSource.IVR, "voicemail/7.wav")


class RecordingDialer(FeedbackDialer):
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []

    async def queue_call(self, *, to: str, text: str, language: str, reference: str) -> None:
        self.calls.append((to, text, reference))


async def test_voice_preference_goes_through_the_dialer_port(any_engine: AsyncEngine) -> None:
    clock, dialer = FakeClock(START), RecordingDialer()
    async with UnitOfWork(any_engine) as uow:
        ticket = await service.open_ticket(
            uow, draft=draft(feedback_channel=FeedbackChannel.VOICE), clock=clock
        )
        _, outcome = await workflow.resolve_ticket(
            uow, ticket_id=ticket.id, staff_id=5, resolution="已处理", clock=clock, dialer=dialer
        )
        assert await channels.list_messages(uow) == []
    assert outcome.channel is FeedbackChannel.VOICE
    assert dialer.calls == [("+8613800138000", "已处理", ticket.number)]


async def test_unknown_patient_record_is_refused(any_engine: AsyncEngine) -> None:
    async with UnitOfWork(any_engine) as uow:
        with pytest.raises(InvalidTicket, match="no patient") as caught:
            await service.open_ticket(uow, draft=draft(patient_id=999), clock=FakeClock(START))
    assert caught.value.field == "patient_id"


async def test_ivr_voice_message_keeps_a_withheld_caller_and_answers_mobiles_by_sms(
    any_engine: AsyncEngine,
) -> None:
    clock = FakeClock(START)
    async with UnitOfWork(any_engine) as uow:
        mobile = await service.open_voice_ticket(
            uow, recording_path="voicemail/1.wav", caller_phone="13800138000", clock=clock
        )
        landline = await service.open_voice_ticket(
            uow, recording_path="voicemail/2.wav", caller_phone="010 6552 9988", clock=clock
        )
        withheld = await service.open_voice_ticket(
            uow, recording_path="voicemail/3.wav", caller_phone="anonymous", clock=clock
        )
    assert (mobile.source, mobile.feedback_channel) == (TicketSource.IVR, FeedbackChannel.SMS)
    assert landline.feedback_channel is FeedbackChannel.VOICE
    assert (withheld.contact_phone, withheld.feedback_channel) == (None, FeedbackChannel.NONE)
