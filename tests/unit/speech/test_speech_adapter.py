from pathlib import Path

import numpy as np
import pytest

from careline.speech import Speaker
from careline.speech.adapter import PromptCache, as_prompt
from careline.telephony.media import Codec, Prompt
from tests.unit.speech.speech_fakes import FakeEngine


def test_the_same_samples_give_the_same_prompt_so_g711_is_encoded_once() -> None:
    pcm = np.arange(160, dtype=np.int16)
    first = as_prompt(pcm, "welcome")
    assert isinstance(first, Prompt)
    assert first.pcm is pcm
    encoded = first.encoded(Codec.PCMA)
    again = as_prompt(pcm, "welcome")
    assert again is first
    assert again.encoded(Codec.PCMA) is encoded
    assert as_prompt(pcm.copy(), "welcome") is not first


def test_prompt_cache_is_bounded_and_keeps_recent_entries() -> None:
    cache = PromptCache(max_entries=2)
    arrays = [np.full(8, value, np.int16) for value in range(3)]
    first = cache.get(arrays[0])
    cache.get(arrays[1])
    assert cache.get(arrays[0]) is first  # refreshes the first entry
    cache.get(arrays[2])
    assert len(cache) == 2
    assert cache.get(arrays[0]) is first


@pytest.mark.asyncio
async def test_speaker_hands_out_media_prompts(tmp_path: Path) -> None:
    speaker = Speaker(tmp_path / "cache", engine=FakeEngine())
    prompt = await speaker.fixed_prompt("goodbye", "en")
    assert prompt.name == "goodbye"
    assert prompt.duration == pytest.approx(len("Thank you for calling. Goodbye.") * 0.02)
    assert await speaker.fixed_prompt("goodbye", "en") is prompt
    spoken = await speaker.speech_prompt("您前面还有两位", "zh-CN")
    assert spoken.pcm.dtype == np.int16
    assert len(spoken.encoded(Codec.PCMU)) == spoken.pcm.size
