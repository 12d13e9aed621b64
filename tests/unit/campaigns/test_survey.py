"""Survey questions: accepted keys, branching and validation."""

from __future__ import annotations

import pytest

from careline.campaigns.model import InvalidCampaign
from careline.campaigns.survey import (
    QuestionKind,
    questionnaire_from_data,
    questionnaire_to_data,
)

DATA = {
    "comment": True,
    "questions": [
        {"key": "overall", "kind": "scale", "text_zh": "总体满意度"},
        {
            "key": "again",
            "kind": "yes_no",
            "text_zh": "会再来吗",
            "branches": {"yes": "end"},
        },
        {"key": "why", "kind": "choice", "text_zh": "原因", "choices": 3},
    ],
}


def test_keys_become_answers() -> None:
    survey = questionnaire_from_data(DATA)
    overall, again, why = survey.questions
    assert overall.accept("4") == "4"
    assert overall.accept("6") is None
    assert again.accept("1") == "yes"
    assert again.accept("2") == "no"
    assert again.accept("3") is None
    assert why.kind is QuestionKind.CHOICE
    assert why.accept("3") == "3"
    assert why.accept("4") is None


def test_branching_skips_or_ends() -> None:
    survey = questionnaire_from_data(DATA)
    overall, again, why = survey.questions
    assert survey.next_after(overall, "5") == again
    assert survey.next_after(again, "yes") is None
    assert survey.next_after(again, "no") == why
    assert survey.next_after(why, "1") is None
    assert questionnaire_from_data(questionnaire_to_data(survey)) == survey


@pytest.mark.parametrize(
    "questions",
    [
        [
            {"key": "a", "kind": "scale", "text_zh": "x"},
            {"key": "a", "kind": "scale", "text_zh": "y"},
        ],
        [{"key": "a", "kind": "choice", "text_zh": "x", "choices": 1}],
        [{"key": "a", "kind": "scale", "text_zh": "x", "branches": {"3": "nowhere"}}],
        [{"key": "a", "kind": "scale", "text_zh": "x", "branches": {"9": "end"}}],
        [{"key": "a", "kind": "what", "text_zh": "x"}],
    ],
)
def test_invalid_questionnaires_are_refused(questions: list[dict[str, object]]) -> None:
    with pytest.raises(InvalidCampaign):
        questionnaire_from_data({"questions": questions})
