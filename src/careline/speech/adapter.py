"""Hand rendered samples to the media engine as ``careline.telephony.media.Prompt`` objects.

A Prompt encodes its G.711 bytes once and keeps them, so the same rendered array must map
to the same Prompt object each time it is played; this module keeps that mapping (bounded).
The media package is imported on first use so speech can be imported without it.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING

from careline.speech.wav import Pcm

if TYPE_CHECKING:
    from careline.telephony.media.prompt import Prompt


class PromptCache:
    """Prompt objects per rendered array and name, most recently used kept."""

    def __init__(self, max_entries: int = 512) -> None:
        self.max_entries = max_entries
        # The entry holds the array itself, so its id() cannot be reused while cached.
        self._entries: OrderedDict[tuple[int, str], tuple[Pcm, Prompt]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, pcm: Pcm, name: str = "") -> Prompt:
        """Return the Prompt for these samples, creating it on first use."""
        from careline.telephony.media.prompt import Prompt

        key = (id(pcm), name)
        entry = self._entries.get(key)
        if entry is not None and entry[0] is pcm:
            self._entries.move_to_end(key)
            return entry[1]
        prompt = Prompt(pcm=pcm, name=name)
        self._entries[key] = (pcm, prompt)
        if len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return prompt


_PROMPTS = PromptCache()


def as_prompt(pcm: Pcm, name: str = "") -> Prompt:
    """Wrap 8 kHz mono int16 samples in the media engine's Prompt, reusing earlier ones."""
    return _PROMPTS.get(pcm, name)
