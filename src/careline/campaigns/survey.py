"""Survey questionnaires answered by phone keys or on a web form (pure).

A question is a 1-5 scale, yes/no (1 yes, 2 no) or a choice among 2-9 options. After an
answer the survey goes on to the next question in order unless the question branches:
``branches`` maps an answer to the key of the question to ask next, or to ``"end"``.
The questionnaire may end with a recorded comment on calls (a text box on the web form).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from careline.campaigns.model import InvalidCampaign

END = "end"


class QuestionKind(StrEnum):
    SCALE = "scale"
    YES_NO = "yes_no"
    CHOICE = "choice"


@dataclass(frozen=True, slots=True)
class Question:
    """One question; ``choices`` is the number of options of a choice question."""

    key: str
    kind: QuestionKind
    text_zh: str
    text_en: str = ""
    choices: int = 0
    branches: Mapping[str, str] = field(default_factory=dict)

    def options(self) -> tuple[str, ...]:
        """The answers this question accepts, as stored."""
        match self.kind:
            case QuestionKind.SCALE:
                return ("1", "2", "3", "4", "5")
            case QuestionKind.YES_NO:
                return ("yes", "no")
        return tuple(str(n) for n in range(1, self.choices + 1))

    def accept(self, key: str) -> str | None:
        """Turn a pressed key (or a web form value) into a stored answer, or None."""
        if self.kind is QuestionKind.YES_NO:
            return {"1": "yes", "2": "no", "yes": "yes", "no": "no"}.get(key)
        return key if key in self.options() else None

    def text(self, language: str) -> str:
        return self.text_en if language == "en" and self.text_en else self.text_zh


@dataclass(frozen=True, slots=True)
class Questionnaire:
    """The questions in order and whether a comment is recorded at the end."""

    questions: tuple[Question, ...]
    comment: bool = False

    def first(self) -> Question | None:
        return self.questions[0] if self.questions else None

    def get(self, key: str) -> Question | None:
        return next((q for q in self.questions if q.key == key), None)

    def next_after(self, question: Question, answer: str) -> Question | None:
        """The question to ask after ``answer`` to ``question``; None ends the survey."""
        target = question.branches.get(answer)
        if target == END:
            return None
        if target is not None:
            return self.get(target)
        index = self.questions.index(question)
        return self.questions[index + 1] if index + 1 < len(self.questions) else None

    def validate(self) -> None:
        """Refuse duplicate keys, bad option counts and branches to unknown questions."""
        keys = [q.key for q in self.questions]
        if len(set(keys)) != len(keys) or any(not k for k in keys):
            raise InvalidCampaign("Each question needs its own key.", field="questions")
        for question in self.questions:
            if question.kind is QuestionKind.CHOICE and not 2 <= question.choices <= 9:
                raise InvalidCampaign("A choice question has 2 to 9 options.", field="questions")
            for answer, target in question.branches.items():
                if question.accept(answer) is None or (target != END and target not in keys):
                    raise InvalidCampaign("A branch points nowhere.", field="questions")
                if target != END and keys.index(target) <= keys.index(question.key):
                    raise InvalidCampaign("A branch may only skip forward.", field="questions")


def questionnaire_from_data(data: Mapping[str, Any]) -> Questionnaire:
    """Build a questionnaire from its stored JSON form."""
    raw: Sequence[Mapping[str, Any]] = data.get("questions", [])
    try:
        questions = tuple(
            Question(
                key=str(item["key"]),
                kind=QuestionKind(item["kind"]),
                text_zh=str(item["text_zh"]),
                text_en=str(item.get("text_en", "")),
                choices=int(item.get("choices", 0)),
                branches={str(k): str(v) for k, v in dict(item.get("branches", {})).items()},
            )
            for item in raw
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise InvalidCampaign("The questionnaire is not valid.", field="questions") from exc
    result = Questionnaire(questions, comment=bool(data.get("comment", False)))
    result.validate()
    return result


def questionnaire_to_data(questionnaire: Questionnaire) -> dict[str, Any]:
    """The JSON form stored with a campaign."""
    return {
        "comment": questionnaire.comment,
        "questions": [
            {
                "key": q.key,
                "kind": q.kind.value,
                "text_zh": q.text_zh,
                "text_en": q.text_en,
                "choices": q.choices,
                "branches": dict(q.branches),
            }
            for q in questionnaire.questions
        ],
    }
