"""Call the patient when the doctor's reply is ready, and play it after the message PIN.

A caller who asked for a call when leaving the message (instead of only the SMS) is
dialled through the trunk with the hospital's number. The call says where it comes from,
asks for the message PIN (three tries; wrong PINs count towards the message's lock like
on the line) and then reads a written reply and plays a recorded one. A call that is
answered is not repeated; one that is not is tried again on later rounds, at most
``MAX_ATTEMPTS`` times.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Protocol

import structlog

from careline.bootstrap import Careline
from careline.db.uow import UnitOfWork
from careline.kit.clock import Clock
from careline.kit.phones import InvalidPhoneNumber, normalize_phone
from careline.telephony.calls import CallEnded
from careline.telephony.feedback_calls import trunk_number
from careline.telephony.media import Prompt
from careline.telephony.server import VoiceServer
from careline.voicemail import service as voicemail
from careline.voicemail.model import PIN_DIGITS, MessageLocked, VoicemailError, VoiceMessage
from careline.voicemail.repository import VoicemailRepository

log = structlog.get_logger(__name__)
MAX_ATTEMPTS = 3
PIN_TRIES = 3
PIN_SECONDS = 10.0
TEXTS = {
    "zh-CN": {
        "intro": "您好，这里是医院热线。医生已回复您的留言。",
        "ask_pin": "请输入留言密码，并按井号键结束。",
        "wrong_pin": "密码不正确。",
        "reply_text": "医生回复：{text}",
        "reply_audio": "下面播放医生的语音回复。",
        "bye": "感谢您的来电，再见。",
    },
    "en": {
        "intro": "Hello, this is the hospital line. The doctor has replied to your message.",
        "ask_pin": "Please key your message PIN, then the hash key.",
        "wrong_pin": "That PIN is not correct.",
        "reply_text": "The doctor's reply: {text}",
        "reply_audio": "Here is the doctor's recorded reply.",
        "bye": "Thank you. Goodbye.",
    },
}


class ReplyPhone(Protocol):
    """An answered call to the patient: what playing the reply needs."""

    async def play(self, prompt: Prompt, *, barge_in: bool = True) -> str | None: ...

    async def say(
        self, text: str, *, language: str | None = None, barge_in: bool = True
    ) -> str | None: ...

    async def collect(
        self, max_digits: int = 1, timeout: float = 5.0, terminator: str = "#"
    ) -> str: ...

    async def hangup(self) -> None: ...


# Dial the caller's stored number; None when nobody answered.
Dial = Callable[[str], Awaitable[ReplyPhone | None]]
UowFactory = Callable[[], UnitOfWork]


async def ask_for_reply_call(uow: UnitOfWork, *, message_id: int) -> None:
    """The caller wants a call that plays the reply once it is ready."""
    await VoicemailRepository(uow.connection).set_reply_call(message_id, True)
    await uow.commit()


async def reply_calls_due(uow: UnitOfWork, *, limit: int = 20) -> list[VoiceMessage]:
    """Ready replies whose caller asked for a call that was not yet made."""
    return await VoicemailRepository(uow.connection).reply_calls_due(MAX_ATTEMPTS, limit)


async def count_attempt(uow: UnitOfWork, *, message_id: int, answered: bool, clock: Clock) -> None:
    """Count one call; an answered call closes the request."""
    repo = VoicemailRepository(uow.connection)
    await repo.count_reply_call(message_id, clock.now() if answered else None)
    await uow.commit()


class ReplyCaller:
    """One round: call every patient whose reply is ready and who asked for a call."""

    def __init__(self, uow: UowFactory, clock: Clock, data_dir: Path, dial: Dial) -> None:
        self._uow = uow
        self._clock = clock
        self._data_dir = data_dir
        self._dial = dial

    async def run_round(self) -> int:
        """Place the due calls one after another; return how many were answered."""
        async with self._uow() as uow:
            due = await reply_calls_due(uow)
        answered = 0
        for message in due:
            if message.caller_phone is None:
                continue
            phone = await self._dial(message.caller_phone)
            if phone is not None:
                answered += 1
                with contextlib.suppress(CallEnded):
                    await self.play_reply(phone, message)
                with contextlib.suppress(CallEnded):
                    await phone.hangup()
            async with self._uow() as uow:
                await count_attempt(
                    uow, message_id=message.id, answered=phone is not None, clock=self._clock
                )
            log.info("voicemail_reply_call", message_id=message.id, answered=phone is not None)
        return answered

    async def play_reply(self, phone: ReplyPhone, message: VoiceMessage) -> bool:
        """Ask for the PIN and play the reply; False when the PIN never matched."""
        lang = message.language if message.language in TEXTS else "zh-CN"
        texts = TEXTS[lang]
        await phone.say(texts["intro"], language=lang, barge_in=False)
        for _ in range(PIN_TRIES):
            await phone.say(texts["ask_pin"], language=lang)
            pin = await phone.collect(PIN_DIGITS + 1, PIN_SECONDS, terminator="#")
            try:
                async with self._uow() as uow:
                    found = await voicemail.retrieve_reply(uow, number=message.number, pin=pin)
            except MessageLocked:
                break
            except VoicemailError as error:
                log.info("voicemail_reply_call_pin", message_id=message.id, error=error.error_id)
                await phone.say(texts["wrong_pin"], language=lang)
                continue
            await self._reply(phone, found, texts, lang)
            await phone.say(texts["bye"], language=lang, barge_in=False)
            return True
        await phone.say(texts["bye"], language=lang, barge_in=False)
        return False

    async def _reply(
        self, phone: ReplyPhone, message: VoiceMessage, texts: dict[str, str], lang: str
    ) -> None:
        if message.reply_text:
            text = texts["reply_text"].format(text=message.reply_text)
            await phone.say(text, language=lang, barge_in=False)
        path = self._data_dir / message.reply_path if message.reply_path else None
        if path is not None and path.is_file():
            await phone.say(texts["reply_audio"], language=lang, barge_in=False)
            await phone.play(Prompt.from_wav(path), barge_in=False)


def trunk_dial(server: VoiceServer, *, ring_timeout: float = 40.0) -> Dial:
    """Dial through the voice server's trunk with the hospital's number."""

    async def dial(phone: str) -> ReplyPhone | None:
        try:
            number = trunk_number(normalize_phone(phone))
        except InvalidPhoneNumber:
            log.warning("voicemail_reply_call_bad_number")
            return None
        outcome = await server.dial(number, ring_timeout=ring_timeout)
        return outcome.call

    return dial


class ReplyCallLoop:
    """Run ``ReplyCaller`` rounds every ``interval`` seconds until stopped."""

    def __init__(self, caller: ReplyCaller, interval: float) -> None:
        self._caller = caller
        self._interval = interval
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the rounds in the background."""
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                await self._caller.run_round()
            except Exception:  # a failed round is retried on the next one
                log.exception("voicemail_reply_calls_failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self._interval)

    async def stop(self) -> None:
        """Finish the round in progress and stop."""
        self._stop.set()
        if self._task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._task, 10)


def start_reply_calls(careline: Careline, server: VoiceServer) -> ReplyCallLoop:
    """Start calling patients whose reply is ready, on the voicemail round's interval."""
    settings = careline.settings
    caller = ReplyCaller(careline.uow, careline.clock, settings.data_dir, trunk_dial(server))
    loop = ReplyCallLoop(caller, settings.voicemail_interval_seconds)
    loop.start()
    return loop
