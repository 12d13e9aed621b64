"""The integrations context's settings turned into the objects its adapters take."""

from __future__ import annotations

from careline.config import Settings
from careline.integrations.booking_sync import HisBookingRules
from careline.integrations.hl7.inbound import InboundConfig
from careline.integrations.hl7.outbound import SenderConfig
from careline.kit.clock import Clock
from careline.scheduling.model import BookingPolicy, Channel


def inbound_config(settings: Settings, policy: BookingPolicy) -> InboundConfig:
    """Return the HL7 listener's configuration."""
    return InboundConfig(
        application=settings.his_application,
        facility=settings.his_facility,
        encoding=settings.his_encoding,
        policy=policy,
        channel=Channel(settings.his_booking_channel),
    )


def sender_config(settings: Settings) -> SenderConfig:
    """Return the SIU sender's configuration."""
    return SenderConfig(
        host=settings.his_send_host,
        port=settings.his_send_port,
        application=settings.his_application,
        facility=settings.his_facility,
        receiving_application=settings.his_send_application,
        receiving_facility=settings.his_send_facility,
        encoding=settings.his_encoding,
    )


def booking_rules(settings: Settings, clock: Clock, policy: BookingPolicy) -> HisBookingRules:
    """Return the rules bookings from the HIS follow."""
    return HisBookingRules(clock, policy, Channel(settings.his_booking_channel))
