"""Voice messages for doctors (pure): numbers, PINs and the lock-out rule."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from careline.kit.errors import CarelineError

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

    @property
    def locked(self) -> bool:
        return self.failed_pins >= MAX_FAILED_PINS

    @property
    def answered(self) -> bool:
        return self.replied_at is not None


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
