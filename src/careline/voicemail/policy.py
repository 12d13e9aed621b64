"""The voicemail rules from the settings."""

from __future__ import annotations

from careline.config import Settings
from careline.voicemail.model import VoicemailPolicy


def voicemail_policy(settings: Settings) -> VoicemailPolicy:
    """Build the voicemail policy from ``CARELINE_VOICEMAIL_*`` settings."""
    return VoicemailPolicy(
        answer_working_days=settings.voicemail_answer_working_days,
        retention_days=settings.voicemail_retention_days,
        default_max_message_seconds=settings.voicemail_max_message_seconds,
        public_url=settings.public_url,
    )
