"""Voice messages for doctors (pure): numbers, PINs, boxes, statuses and the lock-out rule."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from careline.kit.errors import CarelineError

DayAdder = Callable[[date, int], date]
NUMBER_DIGITS = 8
PIN_DIGITS = 4
MAX_FAILED_PINS = 3


class VoicemailError(CarelineError):
    status_code = 400
    error_id = "voicemail_error"


class MessageNotFound(VoicemailError):
    status_code = 404
    error_id = "voicemail_not_found"


class WrongPin(VoicemailError):
    status_code = 403
    error_id = "voicemail_wrong_pin"


class MessageLocked(VoicemailError):
    status_code = 423
    error_id = "voicemail_locked"


class InvalidPin(VoicemailError):
    status_code = 422
    error_id = "voicemail_invalid_pin"


class DoctorPinInvalid(VoicemailError):
    status_code = 422
    error_id = "voicemail_doctor_pin_invalid"


class BoxClosed(VoicemailError):
    status_code = 409
    error_id = "voicemail_box_closed"


class StatusChangeRefused(VoicemailError):
    status_code = 409
    error_id = "voicemail_status_refused"


class BoxSettingsInvalid(VoicemailError):
    status_code = 422
    error_id = "voicemail_box_invalid"


class MessageStatus(StrEnum):
    """Where a message is in the doctor's inbox."""

    NEW = "new"
    HEARD = "heard"
    SAVED = "saved"
    DONE = "done"
    DELETED = "deleted"


OPEN_STATUSES = frozenset({MessageStatus.NEW, MessageStatus.HEARD, MessageStatus.SAVED})


class NotifyBy(StrEnum):
    """How a doctor hears of a new message."""

    NONE = "none"
    SMS = "sms"
    EMAIL = "email"


def can_move(previous: MessageStatus, current: MessageStatus) -> bool:
    """Tell whether a message may go from previous to current (deleted is final)."""
    match (previous, current):
        case (MessageStatus.DELETED, _):
            return False
        case (_, MessageStatus.NEW):
            return False
        case (MessageStatus.DONE, MessageStatus.HEARD):
            return False  # hearing a finished message again keeps it done
        case (a, b) if a == b:
            return False
        case _:
            return True


@dataclass(frozen=True, slots=True)
class VoicemailPolicy:
    """The hospital's voicemail rules (fed from settings ``voicemail_*``)."""

    answer_working_days: int = 2
    retention_days: int = 3 * 365
    default_max_message_seconds: int = 120
    public_url: str = ""


MIN_MESSAGE_SECONDS_SETTING = 10
MAX_MESSAGE_SECONDS_SETTING = 600
DOCTOR_PIN_MIN = 4
DOCTOR_PIN_MAX = 8


@dataclass(frozen=True, slots=True)
class VoicemailBox:
    """A doctor's box: greeting, limits and how new messages are announced."""

    doctor_id: int
    greeting_text: str = ""  # empty: the line synthesises the standard greeting
    greeting_path: str | None = None  # a recorded greeting under the data dir
    max_message_seconds: int = 120
    accepting: bool = True
    notify_by: NotifyBy = NotifyBy.NONE
    notify_to: str = ""  # a mobile number or an email address, never shown to patients
    has_pin: bool = False
    failed_pins: int = 0

    @property
    def locked(self) -> bool:
        return self.failed_pins >= MAX_FAILED_PINS


def check_box(box: VoicemailBox) -> VoicemailBox:
    """Return the box if its settings are sound; else raise."""
    if not MIN_MESSAGE_SECONDS_SETTING <= box.max_message_seconds <= MAX_MESSAGE_SECONDS_SETTING:
        raise BoxSettingsInvalid(
            "The maximum message length must be between 10 and 600 seconds.",
            field="max_message_seconds",
        )
    if box.notify_by is NotifyBy.EMAIL and "@" not in box.notify_to:
        raise BoxSettingsInvalid("Email notification needs an email address.", field="notify_to")
    if box.notify_by is NotifyBy.SMS and not any(ch.isdigit() for ch in box.notify_to):
        raise BoxSettingsInvalid("SMS notification needs a mobile number.", field="notify_to")
    if len(box.greeting_text) > 500:
        raise BoxSettingsInvalid("The greeting is too long.", field="greeting_text")
    return box


def check_doctor_pin(pin: str) -> str:
    """Return the doctor's PIN if it is 4 to 8 digits, not all the same; else raise."""
    if not (DOCTOR_PIN_MIN <= len(pin) <= DOCTOR_PIN_MAX) or not pin.isascii():
        raise DoctorPinInvalid("A doctor's PIN is four to eight digits.", field="pin")
    if not pin.isdigit() or len(set(pin)) == 1:
        raise DoctorPinInvalid(
            "A doctor's PIN is four to eight digits, not all the same.", field="pin"
        )
    return pin


@dataclass(frozen=True, slots=True)
class VoiceMessage:
    """A message a caller left for a doctor, and the doctor's reply once given."""

    number: str
    doctor_id: int
    recording_path: str
    language: str
    created_at: datetime
    caller_phone: str | None = None
    reply_text: str = ""
    replied_at: datetime | None = None
    failed_pins: int = 0
    id: int = 0
    status: MessageStatus = MessageStatus.NEW
    reply_path: str | None = None  # the doctor's recorded reply under the data dir
    heard_at: datetime | None = None
    done_at: datetime | None = None
    notified_at: datetime | None = None
    flagged_at: datetime | None = None
    reply_call: bool = False  # the caller wants a call that plays the reply
    reply_call_attempts: int = 0
    reply_called_at: datetime | None = None

    @property
    def locked(self) -> bool:
        return self.failed_pins >= MAX_FAILED_PINS

    @property
    def answered(self) -> bool:
        return self.replied_at is not None

    @property
    def open(self) -> bool:
        return self.status in OPEN_STATUSES and not self.answered


def answer_deadline(received: date, working_days: int, add_working_days: DayAdder) -> date:
    """The last working day a message may wait for its answer."""
    return add_working_days(received, working_days)


def is_overdue(
    message: VoiceMessage, today: date, received: date, working_days: int, adder: DayAdder
) -> bool:
    """Tell whether an open message has waited past its answer deadline."""
    return message.open and today > answer_deadline(received, working_days, adder)


def retention_cutoff(now: datetime, retention_days: int) -> datetime:
    """Messages created before this instant are past retention."""
    return now - timedelta(days=retention_days)


# Patient SMS when the reply is ready, in the message's language.
REPLY_READY_SMS = {
    "zh-CN": "【医院】医生已回复您的留言{number}，请拨打服务热线，凭留言编号和密码收听。",
    "en": "The doctor has replied to your message {number}. Call the service line with its "
    "number and your PIN to hear it.",
}
DOCTOR_NEW_MESSAGE = {
    "zh-CN": "【医院】您有{count}条新的患者语音留言，请登录医生信箱或拨打热线收听。",
    "en": "You have {count} new patient voice messages. Sign in to your inbox or call the line.",
}


def reply_ready_text(number: str, language: str) -> str:
    """The SMS telling a patient their reply is ready (no medical content)."""
    return REPLY_READY_SMS.get(language, REPLY_READY_SMS["zh-CN"]).format(number=number)


def doctor_notice_text(count: int, language: str = "zh-CN") -> str:
    """The notice telling a doctor of new messages (no patient data)."""
    return DOCTOR_NEW_MESSAGE.get(language, DOCTOR_NEW_MESSAGE["zh-CN"]).format(count=count)


def new_message_number() -> str:
    """Return a random message number; it never starts with 0 (the key for an agent)."""
    return str(secrets.randbelow(9) + 1) + "".join(
        str(secrets.randbelow(10)) for _ in range(NUMBER_DIGITS - 1)
    )


def check_pin(pin: str) -> str:
    """Return the PIN if it is exactly four digits, not all the same; else raise."""
    if len(pin) != PIN_DIGITS or not pin.isascii() or not pin.isdigit():
        raise InvalidPin("A PIN is four digits.", field="pin")
    if len(set(pin)) == 1:
        raise InvalidPin("A PIN must not be four identical digits.", field="pin")
    return pin
