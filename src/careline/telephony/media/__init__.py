"""Careline's media engine: RTP/RTCP, G.711, DTMF, prompts, recording and bridging."""

from careline.telephony.media.compiled import COMPILED  # first: refuses stale builds
from careline.telephony.media.engine import MediaEngine, NoFreeRtpPort
from careline.telephony.media.g711 import Codec
from careline.telephony.media.prompt import Prompt, RecordingResult
from careline.telephony.media.stream import MediaStream, bridge, unbridge

__all__ = [
    "COMPILED",
    "Codec",
    "MediaEngine",
    "MediaStream",
    "NoFreeRtpPort",
    "Prompt",
    "RecordingResult",
    "bridge",
    "unbridge",
]
