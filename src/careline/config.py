"""One typed settings object for the whole process.

Sources, highest first: CLI options (passed as overrides), ``CARELINE_*`` environment
variables, ``careline.toml`` (in the working directory or ``CARELINE_CONFIG``), defaults.
"""

from __future__ import annotations

import os
import zoneinfo
from datetime import time as dt_time
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

Language = Literal["zh-CN", "en"]
LANGUAGES: tuple[Language, ...] = ("zh-CN", "en")


class SettingsError(Exception):
    """A setting has an invalid value; the message names it in one line."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CARELINE_",
        extra="ignore",
        validate_default=True,
    )

    data_dir: Path = Path("./var")
    database_url: str = ""
    http_host: str = "127.0.0.1"
    http_port: int = Field(8000, ge=1, le=65535)
    sip_host: str = "127.0.0.1"
    sip_port: int = Field(5060, ge=1, le=65535)
    rtp_port_min: int = Field(20000, ge=1024, le=65535)
    rtp_port_max: int = Field(29999, ge=1024, le=65535)
    timezone: str = "Asia/Shanghai"
    language: Language = "zh-CN"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    secret_key: str = ""
    public_url: str = ""

    staff_lockout_attempts: int = Field(5, ge=1)
    staff_lockout_minutes: int = Field(15, ge=1)
    staff_session_hours: int = Field(12, ge=1)

    trunk_host: str = ""
    trunk_port: int = Field(5060, ge=1, le=65535)
    trunk_username: str = ""
    trunk_password: str = ""
    trunk_caller_id: str = ""
    # Seconds between OPTIONS requests that check the trunk answers; 0: never.
    trunk_check_seconds: float = Field(30.0, ge=0)

    max_calls: int = Field(2000, ge=1)
    max_call_seconds: int = Field(3600, ge=10)
    rtp_timeout_seconds: int = Field(30, ge=1)
    # Real-time (SCHED_RR) priority of the voice workers when there are several; 0: off.
    voice_realtime_priority: int = Field(0, ge=0, le=99)
    # SIP port of the line for the calls Careline places (campaigns, complaint answers,
    # reply calls) when voice runs in several workers; 0: a free port.
    outbound_sip_port: int = Field(0, ge=0, le=65535)

    # Notification channels (see docs/channels.md). Empty host: channel not configured.
    sms_provider: Literal["", "smpp", "cmpp", "tencent"] = ""
    sms_rate_per_second: float = Field(10.0, gt=0)
    sms_burst: int = Field(20, ge=1)
    smpp_host: str = ""
    smpp_port: int = Field(2775, ge=1, le=65535)
    smpp_system_id: str = ""
    smpp_password: str = ""
    smpp_source_addr: str = ""
    cmpp_host: str = ""
    cmpp_port: int = Field(7890, ge=1, le=65535)
    cmpp_sp_id: str = ""
    cmpp_shared_secret: str = ""
    cmpp_src_id: str = ""
    cmpp_service_id: str = ""
    tencent_sms_secret_id: str = ""
    tencent_sms_secret_key: str = ""
    tencent_sms_sdk_app_id: str = ""
    tencent_sms_sign_name: str = ""
    tencent_sms_template_ids: dict[str, str] = Field(default_factory=dict)
    tencent_sms_region: str = "ap-guangzhou"
    tencent_sms_endpoint: str = "https://sms.tencentcloudapi.com"
    smtp_host: str = ""
    smtp_port: int = Field(25, ge=1, le=65535)
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    smtp_implicit_tls: bool = False
    smtp_sender: str = "careline@hospital.example"
    smtp_sender_name: str = ""
    smtp_receiver_host: str = ""
    smtp_receiver_port: int = Field(2525, ge=1, le=65535)
    smtp_receiver_domains: list[str] = Field(default_factory=list)
    imap_host: str = ""
    imap_port: int = Field(143, ge=1, le=65535)
    imap_username: str = ""
    imap_password: str = ""
    imap_mailbox: str = "INBOX"
    imap_tls: bool = False
    imap_poll_seconds: float = Field(60.0, ge=1)
    max_attachment_bytes: int = Field(10 * 1024 * 1024, ge=1024)
    fax_method: Literal["", "hylafax", "email"] = ""
    hylafax_host: str = "localhost"
    hylafax_port: int = Field(4559, ge=1, le=65535)
    hylafax_user: str = ""
    fax_gateway_domain: str = ""
    fax_font: str = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
    channel_interval_seconds: float = Field(2.0, gt=0)

    # Complaint handling (医疗机构投诉管理办法 defaults, in working days).
    complaint_first_response_days: int = Field(1, ge=0)
    complaint_resolution_days: int = Field(5, ge=1)
    complaint_multi_department_days: int = Field(10, ge=1)
    complaint_warning_hours: int = Field(24, ge=0)
    complaint_escalation_step_days: int = Field(2, ge=1)
    complaint_escalation_levels: list[str] = Field(
        default_factory=lambda: ["department", "complaint_office", "leadership"], min_length=1
    )
    complaint_escalation_interval_seconds: float = Field(30.0, gt=0)

    # Booking rules (docs/appointments.md).
    booking_period_minutes: int = Field(30, ge=5, le=240)
    booking_window_days: int = Field(7, ge=1, le=90)
    booking_release_time: dt_time = dt_time(7, 0)
    booking_max_active: int = Field(5, ge=1)
    booking_cancel_days_before: int = Field(1, ge=0)
    booking_cancel_deadline_time: dt_time = dt_time(17, 0)
    booking_pool_release_days_before: int = Field(1, ge=0)
    booking_pool_release_time: dt_time = dt_time(17, 0)
    booking_pool_shares: dict[str, float] = Field(default_factory=dict)
    no_show_limit: int = Field(3, ge=1)
    no_show_window_days: int = Field(90, ge=1)
    no_show_block_days: int = Field(30, ge=0)
    waitlist_hold_minutes: int = Field(30, ge=1)
    booking_email_address: str = ""

    # Agents and queues (docs/agents.md).
    acd_no_answer_seconds: float = Field(15.0, ge=5, le=120)
    acd_wrap_up_seconds: float = Field(30.0, ge=0, le=600)
    acd_announce_seconds: float = Field(30.0, ge=5, le=600)
    acd_service_level_seconds: float = Field(20.0, ge=1, le=600)
    acd_record_calls: bool = True
    acd_recording_retention_days: int = Field(180, ge=1)

    # Doctors' voicemail and direct consultations (docs/doctors.md).
    voicemail_answer_working_days: int = Field(2, ge=0)
    voicemail_retention_days: int = Field(3 * 365, ge=1)
    voicemail_max_message_seconds: int = Field(120, ge=10, le=600)
    voicemail_interval_seconds: float = Field(60.0, gt=0)
    consult_retention_days: int = Field(3 * 365, ge=1)

    # Outbound campaigns (docs/campaigns.md).
    campaign_windows: str = "09:00-12:00,14:00-20:00"
    campaign_retry_busy_seconds: float = Field(600.0, ge=0)
    campaign_retry_no_answer_seconds: float = Field(7200.0, ge=0)
    campaign_retry_failed_seconds: float = Field(1800.0, ge=0)
    campaign_max_attempts: int = Field(3, ge=1, le=10)
    campaign_max_lines: int = Field(10, ge=1)
    campaign_calls_per_minute: float = Field(30.0, gt=0)
    campaign_caller_id: str = ""
    campaign_ring_timeout_seconds: float = Field(40.0, gt=0)
    campaign_key_timeout_seconds: float = Field(5.0, gt=0)
    campaign_comment_seconds: int = Field(60, ge=5)
    campaign_lease_seconds: float = Field(900.0, ge=10)
    campaign_interval_seconds: float = Field(5.0, gt=0)
    campaign_marketing_sms: bool = False  # SMS route approved for marketing (greetings)

    # Integration with the hospital's systems (docs/integration.md).
    his_mllp_host: str = "127.0.0.1"
    his_mllp_port: int = Field(0, ge=0, le=65535)  # 0: no HL7 listener
    his_application: str = "CARELINE"
    his_facility: str = ""
    his_encoding: str = "utf-8"
    his_booking_channel: Literal["phone", "web", "email", "agent", "window", "referral"] = "window"
    his_send_host: str = ""  # empty: no SIU sender
    his_send_port: int = Field(2575, ge=1, le=65535)
    his_send_application: str = "HIS"
    his_send_facility: str = ""
    his_send_interval_seconds: float = Field(5.0, gt=0)
    his_fhir_url: str = ""  # empty: no FHIR client
    his_fhir_token: str = ""
    his_fhir_push_bookings: bool = False
    his_fhir_sync_interval_seconds: float = Field(300.0, gt=0)
    his_fhir_pull_appointments: bool = False  # book what the HIS booked (FHIR Appointment)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("booking_pool_shares")
    @classmethod
    def _known_pools(cls, value: dict[str, float]) -> dict[str, float]:
        channels = {"phone", "web", "email", "agent", "window", "referral"}
        unknown = sorted(set(value) - channels)
        if unknown:
            raise ValueError(f"unknown booking channel(s) {unknown}; use {sorted(channels)}")
        if any(not 0 <= share <= 1 for share in value.values()):
            raise ValueError("each share is a fraction between 0 and 1")
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        if value and not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must be a sqlite+aiosqlite:// or postgresql+asyncpg:// URL")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,  # noqa: ARG003
        file_secret_settings: PydanticBaseSettingsSource,  # noqa: ARG003
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = Path(os.environ.get("CARELINE_CONFIG", "careline.toml"))
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=toml_path),
        )

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'careline.db').resolve()}"

    @property
    def trunk_configured(self) -> bool:
        return bool(self.trunk_host)


def load_settings(**overrides: Any) -> Settings:
    """Build settings from overrides, environment and careline.toml, or raise SettingsError."""
    clean = {key: value for key, value in overrides.items() if value is not None}
    try:
        settings = Settings(**clean)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "settings"
        raise SettingsError(
            f"invalid setting CARELINE_{field.upper()}: {first['msg']} (got {first.get('input')!r})"
        ) from None
    if settings.rtp_port_min >= settings.rtp_port_max:
        raise SettingsError("invalid setting CARELINE_RTP_PORT_MIN: must be below RTP_PORT_MAX")
    return settings
