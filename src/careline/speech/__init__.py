"""Speech for the phone line: cached text-to-speech, recorded prompts and spoken values."""

from careline.speech.adapter import as_prompt
from careline.speech.catalog import DEFAULT_PROMPTS, PromptText
from careline.speech.engine import EspeakEngine, SpeechEngine
from careline.speech.errors import InvalidRecording, SpeechError, SynthesisFailed, UnknownPrompt
from careline.speech.language import Language, as_language
from careline.speech.recordings import RecordingLibrary
from careline.speech.speaker import Speaker, SpeakerStats, WarmUpResult

__all__ = [
    "DEFAULT_PROMPTS",
    "EspeakEngine",
    "InvalidRecording",
    "Language",
    "PromptText",
    "RecordingLibrary",
    "Speaker",
    "SpeakerStats",
    "SpeechEngine",
    "SpeechError",
    "SynthesisFailed",
    "UnknownPrompt",
    "WarmUpResult",
    "as_language",
    "as_prompt",
]
