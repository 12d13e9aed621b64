"""What a stream sends when it sends audio: tones, then a prompt, then music or comfort noise."""

from __future__ import annotations

from careline.telephony.media.events import MediaEvent, PlaybackFinished
from careline.telephony.media.g711 import FRAME_SAMPLES, Codec
from careline.telephony.media.tones import comfort_noise, dtmf_tone


class Playout:
    """Slice 160-octet payloads from pre-encoded G.711; never encode per packet."""

    __slots__ = (
        "_codec",
        "_events",
        "_comfort_noise_on",
        "_tones",
        "_playback",
        "_pos",
        "token",
        "_barge_in",
        "_loop",
        "_loop_pos",
        "_music_on",
    )

    def __init__(self, events: list[MediaEvent], *, comfort_noise_on: bool) -> None:
        self._codec: Codec | None = None
        self._events = events  # the core's list: playback ends are reported there
        self._comfort_noise_on = comfort_noise_on
        self._tones = b""  # in-band DTMF to send when no telephone-event was negotiated
        self._playback: bytes | None = None
        self._pos = 0
        self.token = 0
        self._barge_in = False
        self._loop = b""
        self._loop_pos = 0
        self._music_on = False

    def set_codec(self, codec: Codec) -> None:
        """Use ``codec`` for comfort noise, silence padding and tones from now on."""
        self._codec = codec
        if not self._music_on:
            self._loop = self._idle_audio()
            self._loop_pos = 0

    def _idle_audio(self) -> bytes:
        if self._codec is None:
            return b""
        if self._comfort_noise_on:
            return comfort_noise(self._codec)
        return bytes([self._codec.silence_byte]) * FRAME_SAMPLES

    def _pad(self, data: bytes) -> bytes:
        short = -len(data) % FRAME_SAMPLES
        if short and self._codec is not None:
            data += bytes([self._codec.silence_byte]) * short
        return data

    def next_payload(self) -> bytes:
        """Return the next 20 ms of audio."""
        if self._tones:
            chunk, self._tones = self._tones[:FRAME_SAMPLES], self._tones[FRAME_SAMPLES:]
            return chunk
        data = self._playback
        if data is not None:
            pos = self._pos
            end = self._pos = pos + FRAME_SAMPLES
            if end >= len(data):
                self._playback = None
                self._events.append(PlaybackFinished(self.token, None))
            return data[pos:end]
        pos = self._loop_pos
        end = pos + FRAME_SAMPLES
        self._loop_pos = 0 if end >= len(self._loop) else end
        return self._loop[pos:end]

    @property
    def playing(self) -> bool:
        """Return True while a prompt plays."""
        return self._playback is not None

    def start_playback(self, data: bytes, *, barge_in: bool) -> int:
        """Play G.711 bytes; return the token its PlaybackFinished event carries."""
        self.finish(None)
        self.token += 1
        self._barge_in = barge_in
        self._pos = 0
        self._playback = self._pad(data) if data else None
        if not data:
            self._events.append(PlaybackFinished(self.token, None))
        return self.token

    def stop_playback(self, token: int) -> None:
        """End playback ``token`` quietly if it is still the one playing."""
        if token == self.token:
            self._playback = None

    def barge_in(self, key: str) -> bool:
        """Stop a barge-in prompt because of ``key``; return False if none was playing."""
        if self._playback is None or not self._barge_in:
            return False
        self.finish(key)
        return True

    def finish(self, key: str | None) -> None:
        """End the prompt playing, if any, reporting ``key`` as what interrupted it."""
        if self._playback is not None:
            self._playback = None
            self._events.append(PlaybackFinished(self.token, key))

    def start_music(self, data: bytes) -> None:
        """Loop G.711 bytes whenever nothing else plays."""
        self._music_on = bool(data)
        self._loop = self._pad(data) if data else self._idle_audio()
        self._loop_pos = 0

    def stop_music(self) -> None:
        """Go back to comfort noise (or silence) between prompts."""
        self._music_on = False
        self._loop = self._idle_audio()
        self._loop_pos = 0

    def queue_tones(self, digit: str) -> None:
        """Send a key as dual tones ahead of any prompt."""
        if self._codec is not None:
            self._tones += dtmf_tone(digit, self._codec)
