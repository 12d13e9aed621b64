"""Errors of the channels context: one base, each with an HTTP status and a stable slug."""

from __future__ import annotations

from careline.kit.errors import CarelineError


class ChannelError(CarelineError):
    """Base of every refusal raised by the channels context."""

    status_code = 400
    error_id = "channel_error"


class InvalidRecipient(ChannelError):
    """The phone number, email address or fax number cannot receive a message."""

    status_code = 422
    error_id = "invalid_recipient"


class MessageTooLong(ChannelError):
    """The text needs more SMS segments than Careline allows."""

    status_code = 422
    error_id = "message_too_long"


class UnknownTemplate(ChannelError):
    """No message template exists with that name and language."""

    status_code = 404
    error_id = "unknown_template"


class MessageNotFound(ChannelError):
    """No stored message has that id."""

    status_code = 404
    error_id = "message_not_found"


class SendFailed(Exception):
    """An adapter could not hand a message over; ``retryable`` says whether to try again.

    Not a CarelineError: it never reaches a user, the delivery worker turns it into state.
    """

    def __init__(self, reason: str, *, retryable: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
