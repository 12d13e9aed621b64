"""The campaign call script driven by a scripted stand-in for the call API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from careline.campaigns.call_flow import CallScript, run_call
from careline.campaigns.survey import questionnaire_from_data
from careline.telephony.calls import CallEnded
from careline.telephony.media.prompt import RecordingResult

SURVEY = questionnaire_from_data(
    {
        "comment": True,
        "questions": [
            {"key": "overall", "kind": "scale", "text_zh": "打分"},
            {"key": "again", "kind": "yes_no", "text_zh": "推荐吗", "branches": {"yes": "end"}},
            {"key": "why", "kind": "choice", "text_zh": "原因", "choices": 3},
        ],
    }
)


class ScriptedCall:
    """Answers each collect with the next key of ``keys``; hangs up when they run out."""

    def __init__(self, keys: str, *, hang_up_when_done: bool = True) -> None:
        self.keys = list(keys)
        self.said: list[str] = []
        self.hang_up_when_done = hang_up_when_done
        self.recorded: Path | None = None

    async def answer(self) -> None:
        return None

    async def say(self, text: str, **_: Any) -> None:
        self.said.append(text)

    async def collect(self, **_: Any) -> str:
        if not self.keys:
            if self.hang_up_when_done:
                raise CallEnded("remote")
            return ""
        return self.keys.pop(0)

    async def record(self, path: Path, **_: Any) -> RecordingResult:
        self.recorded = path
        path.write_bytes(b"RIFF")
        return RecordingResult(path=path, seconds=4.0, ended_by="digit")


async def _run(call: ScriptedCall, tmp_path: Path, survey: bool = True) -> tuple[Any, list[Any]]:
    stored: list[tuple[str, str, str | None]] = []

    async def sink(key: str, answer: str, recording: str | None) -> None:
        stored.append((key, answer, recording))

    script = CallScript(
        message="您好",
        language="zh-CN",
        questionnaire=SURVEY if survey else None,
        comment_path=tmp_path / "c.wav",
    )
    return await run_call(call, script, sink), stored  # type: ignore[arg-type]


@pytest.mark.asyncio
async def test_one_repeats_the_message_and_nine_opts_out(tmp_path: Path) -> None:
    call = ScriptedCall("119")
    result, stored = await _run(call, tmp_path)
    assert result.opted_out
    assert call.said.count("您好") == 3
    assert stored == []
    assert "不再接到此类电话" in call.said[-1]


@pytest.mark.asyncio
async def test_survey_asks_again_after_a_wrong_key_and_follows_branches(tmp_path: Path) -> None:
    call = ScriptedCall("#72" + "23", hang_up_when_done=False)
    result, stored = await _run(call, tmp_path)
    assert not result.opted_out
    assert call.said.count("打分") == 2  # 7 is not on the scale: asked once more
    assert stored == [
        ("overall", "2", None),
        ("again", "no", None),
        ("why", "3", None),
        ("comment", "", "c.wav"),
    ]
    assert result.comment == tmp_path / "c.wav"
    assert call.said[-1] == "感谢您的配合，再见。"


@pytest.mark.asyncio
async def test_a_hang_up_keeps_the_answers_given(tmp_path: Path) -> None:
    call = ScriptedCall("#5")
    result, stored = await _run(call, tmp_path)
    assert result.hung_up_early
    assert stored == [("overall", "5", None)]


@pytest.mark.asyncio
async def test_a_reminder_without_keys_is_spoken_once_then_thanks(tmp_path: Path) -> None:
    call = ScriptedCall("", hang_up_when_done=False)
    result, stored = await _run(call, tmp_path, survey=False)
    assert (result.opted_out, result.hung_up_early, stored) == (False, False, [])
    assert call.said == ["您好", "重听请按1，不再接收此类电话请按9。", "感谢您的配合，再见。"]
