"""Telephony: SIP signalling, media, the call API and the voice server.

Flows and the rest of Careline import from here; ``telephony.sip`` is the only package that
touches the SIP library.
"""

from careline.telephony.calls import (
    BridgeResult,
    Call,
    CallEnded,
    CallEvent,
    CallEventKind,
    DialOutcome,
    Flow,
    QueuePort,
    Speaker,
    TelephonyError,
)
from careline.telephony.outbound import DialStatus
from careline.telephony.registrar import ExtensionDirectory, InMemoryExtensionDirectory
from careline.telephony.server import VoiceServer
from careline.telephony.trunk import TrunkSettings

__all__ = [
    "BridgeResult",
    "Call",
    "CallEnded",
    "CallEvent",
    "CallEventKind",
    "DialOutcome",
    "DialStatus",
    "ExtensionDirectory",
    "Flow",
    "InMemoryExtensionDirectory",
    "QueuePort",
    "Speaker",
    "TelephonyError",
    "TrunkSettings",
    "VoiceServer",
]
