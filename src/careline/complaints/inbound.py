"""Email in: a new message opens a ticket, a reply lands on the ticket it answers.

The channels context stores every received email before calling this handler, so whatever
is decided here, nothing is lost: an unknown ticket token is answered ``UNKNOWN_TICKET`` and
the mail stays stored under that status for a person to look at.

Threading, in order: the ``[#number]`` token in the subject (check digit verified), then
``In-Reply-To`` naming the Message-ID that opened a ticket. Attachments over the limit
were already refused by the parser; they are listed on the ticket with the reason, so the
handler can ask the patient for a smaller file.
"""

from __future__ import annotations

import re

import structlog

from careline.channels.model import InboundStatus
from careline.channels.ports import HandlingOutcome, InboundEmail, InboundHandler
from careline.complaints import service, workflow
from careline.complaints.model import (
    MAX_BODY,
    MAX_SUBJECT,
    ComplaintError,
    FeedbackChannel,
    InvalidTicketNumber,
    SlaPolicy,
    Ticket,
    TicketDraft,
    TicketKind,
    TicketSource,
    parse_ticket_number,
)
from careline.complaints.repository import ComplaintRepository
from careline.db.uow import UnitOfWork, UnitOfWorkFactory
from careline.kit.clock import Clock

log = structlog.get_logger(__name__)
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _language(text: str) -> str:
    return "zh-CN" if _CJK.search(text) else "en"


class ComplaintEmailHandler(InboundHandler):
    """Turn received emails into tickets and patient messages."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        *,
        policy: SlaPolicy | None = None,
        max_attachment_bytes: int = service.MAX_ATTACHMENT_BYTES,
    ) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self._policy = policy
        self._max_attachment_bytes = max_attachment_bytes

    async def handle_email(self, email: InboundEmail) -> HandlingOutcome:
        """Open a ticket or add to the one the email answers."""
        async with self._uow_factory() as uow:
            repo = ComplaintRepository(uow.connection)
            if email.ticket_token is not None:
                ticket = await self._by_token(repo, email.ticket_token)
                if ticket is None:
                    log.info("complaint_email_unknown_ticket", email_id=email.stored_id)
                    return HandlingOutcome(
                        InboundStatus.UNKNOWN_TICKET, f"no ticket {email.ticket_token}"
                    )
            else:
                threads = [email.in_reply_to] if email.in_reply_to else []
                ticket = await repo.find_by_email_message_id(threads)
            if ticket is None:
                try:
                    ticket = await self._open(uow, email)
                except ComplaintError as exc:
                    return HandlingOutcome(InboundStatus.MALFORMED, exc.message)
                outcome = f"opened ticket {ticket.number}"
            else:
                ticket = await workflow.record_patient_message(
                    uow,
                    ticket_id=ticket.id,
                    body=_message_text(email),
                    clock=self._clock,
                    policy=self._policy,
                )
                outcome = f"added to ticket {ticket.number}"
            await self._attach(repo, ticket.id, email)
            await uow.commit()
        log.info("complaint_email_handled", email_id=email.stored_id, ticket_id=ticket.id)
        return HandlingOutcome(InboundStatus.HANDLED, outcome)

    @staticmethod
    async def _by_token(repo: ComplaintRepository, token: str) -> Ticket | None:
        try:
            number = parse_ticket_number(token)
        except InvalidTicketNumber:
            return None
        return await repo.get_by_number(number)

    async def _open(self, uow: UnitOfWork, email: InboundEmail) -> Ticket:
        body = email.text.strip()[:MAX_BODY]
        subject = email.subject.strip()[:MAX_SUBJECT]
        draft = TicketDraft(
            kind=TicketKind.COMPLAINT,
            source=TicketSource.EMAIL,
            subject=subject,
            body=body or subject,
            contact_email=email.mail_from,
            feedback_channel=FeedbackChannel.EMAIL,
            language=_language(subject + body),
            email_message_id=email.message_id,
        )
        # open_ticket commits; the attachments follow in the handler's own commit.
        return await service.open_ticket(uow, draft=draft, clock=self._clock, policy=self._policy)

    async def _attach(self, repo: ComplaintRepository, ticket_id: int, email: InboundEmail) -> None:
        for attachment in email.attachments:
            data = attachment.data
            refused = attachment.refused_reason
            if data is not None and len(data) > self._max_attachment_bytes:
                data, refused = None, "attachment too large"
            await repo.add_attachment(
                ticket_id,
                filename=(attachment.filename or "attachment")[:255],
                content_type=(attachment.content_type or "application/octet-stream")[:100],
                size=attachment.size,
                data=data,
                refused_reason=refused,
                at=self._clock.now(),
            )


def _message_text(email: InboundEmail) -> str:
    text = email.text.strip()
    return text if text else email.subject.strip()
