"""What a patient hears on a campaign call, written against the call API.

The message is spoken, then "press 1 to hear again, 9 to stop these calls": 1 repeats it
(at most three times), 9 ends the call and puts the patient on the do-not-call list for
the campaign's kind, any other key or silence goes on. A survey then asks its questions
one key each (a wrong key is asked again once), following the branches, and may record a
comment. Each answer is handed to ``on_answer`` at once, so a patient who hangs up half-way
keeps the answers already given.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from careline.campaigns.survey import Questionnaire
from careline.telephony.calls import Call, CallEnded

AnswerSink = Callable[[str, str, str | None], Awaitable[None]]

PROMPTS = {
    "zh-CN": {
        "menu": "重听请按1，不再接收此类电话请按9。",
        "continue": "继续请按井号键。",
        "opted_out": "好的，您将不再接到此类电话。再见。",
        "comment": "请在提示音后留下您的意见，说完请按井号键。",
        "thanks": "感谢您的配合，再见。",
    },
    "en": {
        "menu": "Press 1 to hear this again, or 9 to stop these calls.",
        "continue": "Press the hash key to continue.",
        "opted_out": "You will not receive these calls again. Goodbye.",
        "comment": "After the tone, please leave your comment, then press the hash key.",
        "thanks": "Thank you. Goodbye.",
    },
}
REPEAT_KEY = "1"
STOP_KEY = "9"
MAX_REPEATS = 3


@dataclass(slots=True)
class CallResult:
    """What happened on an answered call."""

    opted_out: bool = False
    answers: list[tuple[str, str]] = field(default_factory=list)
    comment: Path | None = None
    hung_up_early: bool = False


@dataclass(frozen=True, slots=True)
class CallScript:
    """The text of one patient's call and how long to wait for keys."""

    message: str
    language: str
    questionnaire: Questionnaire | None = None
    key_timeout: float = 5.0
    comment_path: Path | None = None
    comment_seconds: int = 60


def _prompt(language: str, name: str) -> str:
    return PROMPTS.get(language, PROMPTS["zh-CN"])[name]


async def run_call(call: Call, script: CallScript, on_answer: AnswerSink) -> CallResult:
    """Speak the message, offer repeat/stop, run the survey; the caller hangs up after."""
    result = CallResult()
    try:
        await call.answer()
        if await _message(call, script):
            result.opted_out = True
            await call.say(_prompt(script.language, "opted_out"), language=script.language)
            return result
        if script.questionnaire is not None:
            await _survey(call, script, script.questionnaire, result, on_answer)
        await call.say(_prompt(script.language, "thanks"), language=script.language, barge_in=False)
    except CallEnded:
        result.hung_up_early = True
    return result


async def _message(call: Call, script: CallScript) -> bool:
    """Speak the message until the patient goes on; True when they keyed 9."""
    menu = _prompt(script.language, "menu")
    if script.questionnaire is not None:
        menu += _prompt(script.language, "continue")
    for _ in range(MAX_REPEATS):
        await call.say(script.message, language=script.language)
        await call.say(menu, language=script.language)
        key = await call.collect(max_digits=1, timeout=script.key_timeout, terminator="")
        if key == STOP_KEY:
            return True
        if key != REPEAT_KEY:
            return False
    return False


async def _survey(
    call: Call,
    script: CallScript,
    questionnaire: Questionnaire,
    result: CallResult,
    on_answer: AnswerSink,
) -> None:
    question = questionnaire.first()
    while question is not None:
        answer = None
        for _ in range(2):
            await call.say(question.text(script.language), language=script.language)
            key = await call.collect(max_digits=1, timeout=script.key_timeout, terminator="")
            answer = question.accept(key)
            if answer is not None:
                break
        if answer is None:
            return
        result.answers.append((question.key, answer))
        await on_answer(question.key, answer, None)
        question = questionnaire.next_after(question, answer)
    if questionnaire.comment and script.comment_path is not None:
        await call.say(_prompt(script.language, "comment"), language=script.language)
        recorded = await call.record(
            script.comment_path, max_seconds=script.comment_seconds, silence_seconds=5
        )
        if recorded.seconds >= 1.0:
            result.comment = recorded.path
            await on_answer("comment", "", recorded.path.name)
