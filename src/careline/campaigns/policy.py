"""The dialling rules a hospital configures, gathered for services and the dialler."""

from __future__ import annotations

from dataclasses import dataclass, field

from careline.campaigns.retry import RetryPolicy
from careline.campaigns.windows import DEFAULT_WINDOWS, CallingWindows, parse_windows
from careline.config import Settings
from careline.kit.clock import HOSPITAL_DEFAULT_ZONE


@dataclass(frozen=True, slots=True)
class CampaignPolicy:
    """Retry rules, calling windows, pacing, caller ID and call timings."""

    retry: RetryPolicy = field(default_factory=RetryPolicy)
    windows: CallingWindows = field(
        default_factory=lambda: CallingWindows(HOSPITAL_DEFAULT_ZONE, DEFAULT_WINDOWS)
    )
    max_lines: int = 10
    calls_per_minute: float = 30.0
    caller_id: str = ""
    ring_timeout: float = 40.0
    key_timeout: float = 5.0
    comment_seconds: int = 60
    lease_seconds: float = 900.0
    public_url: str = ""
    # True only when the SMS account/signature configured is approved for marketing:
    # greetings never go out on a service/notification SMS route.
    marketing_sms: bool = False


def campaign_policy(settings: Settings) -> CampaignPolicy:
    """Build the campaign rules from ``CARELINE_CAMPAIGN_*`` settings."""
    return CampaignPolicy(
        retry=RetryPolicy(
            busy_seconds=settings.campaign_retry_busy_seconds,
            no_answer_seconds=settings.campaign_retry_no_answer_seconds,
            failed_seconds=settings.campaign_retry_failed_seconds,
            max_attempts=settings.campaign_max_attempts,
        ),
        windows=CallingWindows(settings.zone, parse_windows(settings.campaign_windows)),
        max_lines=settings.campaign_max_lines,
        calls_per_minute=settings.campaign_calls_per_minute,
        caller_id=settings.campaign_caller_id or settings.trunk_caller_id,
        ring_timeout=settings.campaign_ring_timeout_seconds,
        key_timeout=settings.campaign_key_timeout_seconds,
        comment_seconds=settings.campaign_comment_seconds,
        lease_seconds=settings.campaign_lease_seconds,
        public_url=settings.public_url,
        marketing_sms=settings.campaign_marketing_sms,
    )
