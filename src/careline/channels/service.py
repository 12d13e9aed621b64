"""Use cases of the channels context: queue messages, deliver due ones, take receipts and mail.

Every outgoing message is a row first (queued) and is sent by a worker that claims due
rows, so a crash, a slow gateway or a malformed answer leaves it queued for another try
instead of losing it. Every received email is stored (raw bytes included) before any
context acts on it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import structlog

from careline.channels.email.parsing import DEFAULT_MAX_ATTACHMENT_BYTES, parse_email
from careline.channels.errors import InvalidRecipient, MessageNotFound, SendFailed
from careline.channels.model import (
    Channel,
    InboundStatus,
    MessageState,
    OutboundMessage,
    RetryPolicy,
    TokenBucket,
    can_move,
)
from careline.channels.ports import (
    DeliveryReport,
    HandlingOutcome,
    InboundEmail,
    InboundHandler,
    InboundSms,
)
from careline.channels.repository import ChannelRepository
from careline.channels.sms.segments import count_segments
from careline.channels.templates import DEFAULT_TEMPLATES, TemplateCatalog
from careline.db.uow import UnitOfWork
from careline.kit.clock import Clock
from careline.kit.phones import InvalidPhoneNumber, normalize_phone

log = structlog.get_logger(__name__)

Deliver = Callable[[OutboundMessage], Awaitable[tuple[str, tuple[str, ...]]]]


def _phone(number: str) -> str:
    try:
        return normalize_phone(number)
    except InvalidPhoneNumber as exc:
        # kit.phones' reasons are fixed sentences the catalogs translate; keep them as they are.
        raise InvalidRecipient(exc.reason, field="to") from exc


async def queue_sms(
    uow: UnitOfWork,
    *,
    to: str,
    clock: Clock,
    text: str | None = None,
    template: str | None = None,
    values: Mapping[str, str] | None = None,
    language: str = "zh-CN",
    catalog: TemplateCatalog = DEFAULT_TEMPLATES,
) -> OutboundMessage:
    """Validate the number, fill the template and store the SMS as queued."""
    recipient = _phone(to)
    params: tuple[str, ...] = ()
    if template is not None:
        rendered = catalog.render(template, language, values or {})
        body, params, language = rendered.text, rendered.values, rendered.language
    elif text:
        body = text
    else:
        raise InvalidRecipient("An SMS needs a text or a template.", field="text")
    count_segments(body)  # raises MessageTooLong before anything is stored
    message = await ChannelRepository(uow.connection).add_message(
        channel=Channel.SMS,
        recipient=recipient,
        subject="",
        body=body,
        template=template,
        template_params=params,
        language=language,
        now=clock.now(),
    )
    await uow.commit()
    return message


async def queue_email(
    uow: UnitOfWork, *, to: str, subject: str, text: str, clock: Clock
) -> OutboundMessage:
    """Store an email as queued."""
    if "@" not in to or any(char.isspace() for char in to.strip()):
        raise InvalidRecipient("The email address is not valid.", field="to")
    message = await ChannelRepository(uow.connection).add_message(
        channel=Channel.EMAIL,
        recipient=to.strip(),
        subject=subject,
        body=text,
        template=None,
        template_params=(),
        language="zh-CN",
        now=clock.now(),
    )
    await uow.commit()
    return message


async def queue_fax(
    uow: UnitOfWork, *, number: str, title: str, body: str, clock: Clock
) -> OutboundMessage:
    """Validate the fax number and store the document as a queued fax."""
    message = await ChannelRepository(uow.connection).add_message(
        channel=Channel.FAX,
        recipient=_phone(number),
        subject=title,
        body=body,
        template=None,
        template_params=(),
        language="zh-CN",
        now=clock.now(),
    )
    await uow.commit()
    return message


async def get_message(uow: UnitOfWork, *, message_id: int) -> OutboundMessage:
    """Return one stored message."""
    message = await ChannelRepository(uow.connection).get(message_id)
    if message is None:
        raise MessageNotFound("There is no message with this id.")
    return message


async def list_messages(
    uow: UnitOfWork, *, state: MessageState | None = None, limit: int = 100
) -> list[OutboundMessage]:
    """Return recent messages, newest first, optionally in one state."""
    return await ChannelRepository(uow.connection).list_messages(state=state, limit=limit)


@dataclass(frozen=True, slots=True)
class DeliveryRound:
    """What one pass of the delivery worker did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    rate_limited: bool = False


async def list_inbound_emails(uow: UnitOfWork, *, limit: int = 100) -> list[dict[str, Any]]:
    """Return received emails, newest first (for review pages)."""
    return await ChannelRepository(uow.connection).recent_inbound_emails(limit=limit)


async def deliver_due_messages(
    uow: UnitOfWork,
    *,
    channel: Channel,
    deliver: Deliver,
    clock: Clock,
    policy: RetryPolicy | None = None,
    bucket: TokenBucket | None = None,
    limit: int = 20,
    lease_seconds: float = 300.0,
) -> DeliveryRound:
    """Claim due messages of ``channel``, hand each to ``deliver`` and store the outcome."""
    policy = policy or RetryPolicy()
    repo = ChannelRepository(uow.connection)
    now = clock.now()
    claimed = await repo.claim_due(
        channel=channel, now=now, limit=limit, lease_until=now + timedelta(seconds=lease_seconds)
    )
    await uow.commit()
    sent = retrying = failed = 0
    rate_limited = False
    for index, message in enumerate(claimed):
        cost = count_segments(message.body) if channel is Channel.SMS else 1
        if bucket is not None and not bucket.try_take(clock.monotonic(), cost):
            for waiting in claimed[index:]:
                await repo.update(waiting.id, next_attempt_at=clock.now())
            await uow.commit()
            rate_limited = True
            break
        state = await _deliver_one(repo, message, deliver, clock, policy)
        await uow.commit()
        sent += state is MessageState.SENT
        failed += state is MessageState.FAILED
        retrying += state is MessageState.QUEUED
    if sent:
        await _reconcile_early_receipts(uow, clock)
    return DeliveryRound(sent, retrying, failed, rate_limited)


async def _deliver_one(
    repo: ChannelRepository,
    message: OutboundMessage,
    deliver: Deliver,
    clock: Clock,
    policy: RetryPolicy,
) -> MessageState:
    attempts = message.attempts + 1
    try:
        provider, ids = await deliver(message)
    except SendFailed as exc:
        error, retryable = exc.reason, exc.retryable
    except Exception as exc:  # an adapter bug must not lose the message
        log.exception("channel_adapter_error", message_id=message.id)
        error, retryable = f"unexpected error: {type(exc).__name__}", True
    else:
        now = clock.now()
        await repo.update(
            message.id,
            state=MessageState.SENT.value,
            attempts=attempts,
            provider=provider,
            provider_message_id=ids[0] if ids else None,
            next_attempt_at=None,
            sent_at=now,
            updated_at=now,
            last_error=None,
        )
        await repo.add_parts(message.id, provider, ids)
        return MessageState.SENT
    now = clock.now()
    if not retryable or policy.gives_up_after(attempts):
        await repo.update(
            message.id,
            state=MessageState.FAILED.value,
            attempts=attempts,
            last_error=error[:500],
            next_attempt_at=None,
            updated_at=now,
        )
        log.info("channel_message_failed", message_id=message.id, attempts=attempts)
        return MessageState.FAILED
    await repo.update(
        message.id,
        attempts=attempts,
        last_error=error[:500],
        updated_at=now,
        next_attempt_at=now + policy.delay_after(attempts),
    )
    return MessageState.QUEUED


async def record_delivery_report(
    uow: UnitOfWork, *, report: DeliveryReport, clock: Clock
) -> OutboundMessage | None:
    """Apply a provider's receipt; return the message, or None when it is kept for later."""
    repo = ChannelRepository(uow.connection)
    message_id = await repo.mark_part(
        report.provider, report.message_id, delivered=report.delivered, status=report.status
    )
    if message_id is None:
        # The submit response may not be stored yet; keep the receipt rather than drop it.
        await repo.add_early_receipt(report, now=clock.now())
        await uow.commit()
        await _reconcile_early_receipts(uow, clock)
        return None
    await _settle(repo, message_id, report.status, clock)
    await uow.commit()
    return await repo.get(message_id)


async def _settle(repo: ChannelRepository, message_id: int, status: str, clock: Clock) -> None:
    message = await repo.get(message_id)
    assert message is not None
    outcomes = await repo.part_outcomes(message_id)
    now = clock.now()
    if False in outcomes and can_move(message.state, MessageState.FAILED):
        await repo.update(
            message_id,
            state=MessageState.FAILED.value,
            updated_at=now,
            last_error=f"provider reported {status}"[:500],
        )
    elif all(outcomes) and can_move(message.state, MessageState.DELIVERED):
        await repo.update(
            message_id, state=MessageState.DELIVERED.value, delivered_at=now, updated_at=now
        )


async def purge_stale_receipts(
    uow: UnitOfWork, *, clock: Clock, max_age: timedelta = timedelta(days=3)
) -> int:
    """Drop kept receipts that never matched a message (ids from another system or a bug)."""
    purged = await ChannelRepository(uow.connection).delete_early_receipts_before(
        clock.now() - max_age
    )
    await uow.commit()
    if purged:
        log.info("channel_receipts_purged", count=purged)
    return purged


async def _reconcile_early_receipts(uow: UnitOfWork, clock: Clock) -> None:
    # Runs after the caller committed its own rows: whichever of the submit side and the
    # receipt side commits last finds the other's rows, so no receipt is left behind.
    repo = ChannelRepository(uow.connection)
    for report in await repo.take_matched_early_receipts():
        message_id = await repo.mark_part(
            report.provider, report.message_id, delivered=report.delivered, status=report.status
        )
        if message_id is not None:
            await _settle(repo, message_id, report.status, clock)
    await uow.commit()


async def receive_email(
    uow: UnitOfWork,
    *,
    raw: bytes,
    via: str,
    handler: InboundHandler,
    clock: Clock,
    max_attachment_bytes: int = DEFAULT_MAX_ATTACHMENT_BYTES,
) -> tuple[int, HandlingOutcome]:
    """Store a received email, then pass it to ``handler``; return its id and the outcome."""
    parsed = parse_email(raw, max_attachment_bytes=max_attachment_bytes)
    repo = ChannelRepository(uow.connection)
    now = clock.now()
    email_id = await repo.add_inbound_email(raw=raw, via=via, parsed=parsed, now=now)
    await uow.commit()
    if parsed.malformed:
        log.info("channel_email_malformed", email_id=email_id, reason=parsed.malformed)
        return email_id, HandlingOutcome(InboundStatus.MALFORMED, parsed.malformed)
    inbound = InboundEmail(
        stored_id=email_id,
        via=via,
        mail_from=parsed.mail_from,
        recipients=parsed.recipients,
        subject=parsed.subject,
        text=parsed.text,
        message_id=parsed.message_id,
        in_reply_to=parsed.in_reply_to,
        ticket_token=parsed.ticket_token,
        received_at=now,
        attachments=parsed.attachments,
    )
    try:
        outcome = await handler.handle_email(inbound)
    except Exception as exc:  # the email is stored; a failing handler must not lose it
        log.exception("channel_email_handler_failed", email_id=email_id)
        outcome = HandlingOutcome(InboundStatus.HANDLER_FAILED, type(exc).__name__)
    await repo.set_inbound_email_status(email_id, outcome.status, outcome.detail)
    await uow.commit()
    return email_id, outcome


async def receive_sms(
    uow: UnitOfWork, *, sms: InboundSms, handler: InboundHandler, clock: Clock
) -> tuple[int, HandlingOutcome]:
    """Store a received SMS, then pass it to ``handler``."""
    repo = ChannelRepository(uow.connection)
    sms_id = await repo.add_inbound_sms(sms, now=clock.now())
    await uow.commit()
    try:
        outcome = await handler.handle_sms(sms)
    except Exception as exc:  # stored already; keep it and say why it was not handled
        log.exception("channel_sms_handler_failed", sms_id=sms_id)
        outcome = HandlingOutcome(InboundStatus.HANDLER_FAILED, type(exc).__name__)
    await repo.set_inbound_sms_status(sms_id, outcome.status, outcome.detail)
    await uow.commit()
    return sms_id, outcome
