"""Store a reply uploaded from the web as the 8 kHz mono WAV the phone line plays."""

from __future__ import annotations

import asyncio
import io
import secrets
import wave
from datetime import datetime
from pathlib import Path

from careline.voicemail.model import VoicemailError

MAX_REPLY_BYTES = 20 * 1024 * 1024
PHONE_FORMAT = (8000, 1, 2)  # rate, channels, bytes per sample


class ReplyAudioInvalid(VoicemailError):
    status_code = 422
    error_id = "voicemail_reply_audio_invalid"


def _format_of(data: bytes) -> tuple[int, int, int]:
    try:
        with wave.open(io.BytesIO(data), "rb") as wav:
            return wav.getframerate(), wav.getnchannels(), wav.getsampwidth()
    except (wave.Error, EOFError):
        raise ReplyAudioInvalid("The reply must be a WAV audio file.", field="file") from None


async def store_reply_audio(data: bytes, *, data_dir: Path, now: datetime) -> str:
    """Keep an uploaded WAV as 8 kHz mono 16-bit; return its path under the data dir."""
    if len(data) > MAX_REPLY_BYTES:
        raise ReplyAudioInvalid("The reply file is too large.", field="file")
    source_format = _format_of(data)
    relative = Path("recordings") / "replies" / f"{now:%Y%m%d%H%M%S}-{secrets.token_hex(6)}.wav"
    target = data_dir / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    if source_format == PHONE_FORMAT:
        await asyncio.to_thread(target.write_bytes, data)
        return relative.as_posix()
    # sox resamples and mixes down; it reads the upload from stdin so no temp file is left.
    process = await asyncio.create_subprocess_exec(
        "sox",
        "-t",
        "wav",
        "-",
        "-r",
        "8000",
        "-c",
        "1",
        "-b",
        "16",
        "-e",
        "signed-integer",
        str(target),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    await process.communicate(data)
    if process.returncode != 0:
        target.unlink(missing_ok=True)
        raise ReplyAudioInvalid("The reply must be a WAV audio file.", field="file")
    return relative.as_posix()
