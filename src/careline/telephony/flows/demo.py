"""The entry flow until the hospital's IVR is configured: greet, then read back each key."""

from __future__ import annotations

from functools import cache

import numpy as np

from careline.telephony.calls import Call, TelephonyError
from careline.telephony.media import Prompt

GREETING = {
    "zh-CN": "您好，这里是医院服务热线。请按任意键，我们会读出您按的数字。",
    "en": "Hello, this is the hospital's service line. Press any key and we will read it back.",
}
YOU_PRESSED = {"zh-CN": "您按了 {digit}", "en": "You pressed {digit}"}
KEY_NAMES = {"*": {"zh-CN": "星号", "en": "star"}, "#": {"zh-CN": "井号", "en": "pound"}}
_KEY_TONES = "123A456B789C*0#D"


@cache
def _tone_prompt(key: str) -> Prompt:
    """Return a short DTMF-like tone for a key, used when no speaker is configured."""
    index = _KEY_TONES.index(key) if key in _KEY_TONES else 0
    low, high = (697, 770, 852, 941)[index // 4], (1209, 1336, 1477, 1633)[index % 4]
    t = np.arange(int(8000 * 0.3)) / 8000
    pcm = (np.sin(2 * np.pi * low * t) + np.sin(2 * np.pi * high * t)) * 6000
    return Prompt(pcm=pcm.astype(np.int16), name=f"key-{key}")


@cache
def _chime() -> Prompt:
    t = np.arange(int(8000 * 0.4)) / 8000
    pcm = np.concatenate([np.sin(2 * np.pi * f * t) * 7000 for f in (660.0, 880.0)])
    return Prompt(pcm=pcm.astype(np.int16), name="chime")


async def _speak(call: Call, text: str, language: str, fallback: Prompt) -> None:
    try:
        await call.say(text, language=language)
    except TelephonyError:
        await call.play(fallback)


async def demo_flow(call: Call, *, idle_seconds: float = 15.0, max_keys: int = 50) -> None:
    """Greet the caller, then say each digit they key until they stay silent."""
    await call.answer()
    language = call.language if call.language in GREETING else "en"
    await _speak(call, GREETING[language], language, _chime())
    for _ in range(max_keys):
        digit = await call.collect(max_digits=1, timeout=idle_seconds, terminator="")
        if not digit:
            break
        name = KEY_NAMES.get(digit, {}).get(language, digit)
        await _speak(call, YOU_PRESSED[language].format(digit=name), language, _tone_prompt(digit))
    await call.hangup()
