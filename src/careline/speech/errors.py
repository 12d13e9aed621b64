"""Errors of the speech context, each with an HTTP status and a stable slug."""

from __future__ import annotations

from careline.kit.errors import CarelineError


class SpeechError(CarelineError):
    """Base of the speech context's errors."""

    status_code = 500
    error_id = "speech_error"


class SynthesisFailed(SpeechError):
    """The speech engine could not render the text (missing, crashed or too slow)."""

    status_code = 503
    error_id = "speech_synthesis_failed"


class InvalidRecording(SpeechError):
    """An uploaded prompt recording cannot be played on the phone line."""

    status_code = 422
    error_id = "invalid_recording"


class UnknownPrompt(SpeechError):
    """No recording and no text exist for a prompt id."""

    status_code = 404
    error_id = "unknown_prompt"
