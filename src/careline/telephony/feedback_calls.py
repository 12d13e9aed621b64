"""Read a complaint's answer to the patient by an automated call through the trunk."""

from __future__ import annotations

import asyncio

import phonenumbers
import structlog

from careline.complaints.feedback import FeedbackDialer
from careline.kit.phones import InvalidPhoneNumber, normalize_phone
from careline.telephony.calls import CallEnded
from careline.telephony.outbound import DialStatus
from careline.telephony.server import VoiceServer

log = structlog.get_logger(__name__)


def trunk_number(e164: str) -> str:
    """The digits a Chinese trunk expects: national format at home, 00 + E.164 abroad."""
    parsed = phonenumbers.parse(e164)
    if parsed.country_code == 86:
        national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
        return "".join(ch for ch in national if ch.isdigit())
    return "00" + e164.lstrip("+")


class VoiceFeedbackDialer(FeedbackDialer):
    """Place the call in the background and read the text twice once the patient answers."""

    def __init__(self, server: VoiceServer, *, ring_timeout: float = 40.0) -> None:
        self._server = server
        self._ring_timeout = ring_timeout
        self._calls: set[asyncio.Task[DialStatus]] = set()

    async def queue_call(self, *, to: str, text: str, language: str, reference: str) -> None:
        """Start the call; a number that cannot be dialled is refused at once."""
        try:
            number = trunk_number(normalize_phone(to))
        except InvalidPhoneNumber as exc:
            raise ValueError(exc.reason) from exc
        task = asyncio.create_task(self._call(number, text, language, reference))
        self._calls.add(task)
        task.add_done_callback(self._calls.discard)

    async def _call(self, number: str, text: str, language: str, reference: str) -> DialStatus:
        outcome = await self._server.dial(number, ring_timeout=self._ring_timeout)
        log.info("feedback_call", reference=reference, status=outcome.status, code=outcome.sip_code)
        if outcome.call is None:
            return outcome.status
        try:
            await outcome.call.answer()
            for _ in range(2):
                await outcome.call.say(text, language=language, barge_in=False)
            await outcome.call.hangup()
        except CallEnded:
            pass
        return outcome.status

    async def wait_idle(self) -> list[DialStatus]:
        """Wait for the calls in progress (for shutdown and tests)."""
        return list(await asyncio.gather(*self._calls)) if self._calls else []
