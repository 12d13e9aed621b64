"""Tell the patient: replies and resolutions on their preferred channel.

SMS and email are queued through the channels context in the caller's transaction, so a
reply is either stored together with its outgoing message or not at all. A voice callback
goes through ``FeedbackDialer``, a port the telephony core implements (it places a call and
reads the text by text-to-speech); until one is plugged in, a voice preference falls back to
SMS when the patient left a mobile number.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass

import structlog

from careline.channels import service as channels
from careline.channels.errors import ChannelError, MessageTooLong
from careline.channels.model import tag_subject
from careline.complaints.model import FeedbackChannel, Ticket
from careline.db.uow import UnitOfWork
from careline.kit.clock import Clock

log = structlog.get_logger(__name__)
SMS_REPLY_LIMIT = 300

_SUBJECTS = {
    "zh-CN": {"reply": "您的反馈已有回复", "resolved": "您的反馈已处理完毕"},
    "en": {"reply": "Reply to your feedback", "resolved": "Your feedback has been resolved"},
}
_EMAIL_BODY = {
    "zh-CN": "您的反馈编号：{number}\n\n{text}\n\n如需补充，请直接回复本邮件。",
    "en": "Your feedback number: {number}\n\n{text}\n\nTo add anything, reply to this email.",
}


class FeedbackDialer(abc.ABC):
    """Place an automated call that reads ``text`` to the patient (telephony adapter hook)."""

    @abc.abstractmethod
    async def queue_call(self, *, to: str, text: str, language: str, reference: str) -> None:
        """Arrange the call; raise on refusal. ``reference`` is the ticket number."""


@dataclass(frozen=True, slots=True)
class FeedbackOutcome:
    """Which channel carried the message, or why none did."""

    channel: FeedbackChannel
    detail: str = ""


def _subject(ticket: Ticket, purpose: str) -> str:
    texts = _SUBJECTS.get(ticket.language, _SUBJECTS["zh-CN"])
    return tag_subject(texts[purpose], ticket.number)


async def notify_patient(
    uow: UnitOfWork,
    *,
    ticket: Ticket,
    text: str,
    purpose: str,
    clock: Clock,
    dialer: FeedbackDialer | None = None,
) -> FeedbackOutcome:
    """Queue ``text`` to the patient on their channel; never raise for a bad address."""
    channel = ticket.feedback_channel
    try:
        if channel is FeedbackChannel.VOICE and ticket.contact_phone:
            if dialer is not None:
                await dialer.queue_call(
                    to=ticket.contact_phone,
                    text=text,
                    language=ticket.language,
                    reference=ticket.number,
                )
                return FeedbackOutcome(FeedbackChannel.VOICE)
            channel = FeedbackChannel.SMS
        if channel is FeedbackChannel.EMAIL and ticket.contact_email:
            body = _EMAIL_BODY.get(ticket.language, _EMAIL_BODY["zh-CN"])
            await channels.queue_email(
                uow,
                to=ticket.contact_email,
                subject=_subject(ticket, purpose),
                text=body.format(number=ticket.number, text=text),
                clock=clock,
            )
            return FeedbackOutcome(FeedbackChannel.EMAIL)
        if channel is FeedbackChannel.SMS and ticket.contact_phone:
            await _queue_sms(uow, ticket, text, clock)
            return FeedbackOutcome(FeedbackChannel.SMS)
    except ChannelError as exc:
        log.info("complaint_feedback_refused", ticket_id=ticket.id, error=exc.error_id)
        return FeedbackOutcome(FeedbackChannel.NONE, exc.message)
    return FeedbackOutcome(FeedbackChannel.NONE, "The patient left no way to reach them.")


async def _queue_sms(uow: UnitOfWork, ticket: Ticket, text: str, clock: Clock) -> None:
    assert ticket.contact_phone is not None
    values = {"ticket_number": ticket.number, "reply": text}
    try:
        await channels.queue_sms(
            uow,
            to=ticket.contact_phone,
            template="ticket_reply",
            values=values,
            language=ticket.language,
            clock=clock,
        )
    except MessageTooLong:
        # A long answer is cut for SMS; the full text stays on the ticket for the status page.
        values["reply"] = text[:SMS_REPLY_LIMIT] + "…"
        await channels.queue_sms(
            uow,
            to=ticket.contact_phone,
            template="ticket_reply",
            values=values,
            language=ticket.language,
            clock=clock,
        )
