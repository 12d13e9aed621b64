"""The packaged flow file, and the validation that guards every flow file."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from careline.ivr import engine as _engine  # noqa: F401 - registers every action
from careline.ivr.flowfile import DEFAULT_FLOW, FlowStore, load_flow
from careline.ivr.model import LANGUAGES, FlowError, NodeKind, parse_flow, reachable, title_of
from careline.ivr.registry import ACTIONS, action_prompts


def packaged() -> dict[str, Any]:
    loaded = yaml.safe_load(DEFAULT_FLOW.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_every_node_is_reachable_and_every_prompt_in_both_languages() -> None:
    flow = load_flow(action_prompts())
    assert reachable(flow.start, flow.nodes) == set(flow.nodes)
    used = {node.prompt for node in flow.nodes.values() if node.kind is NodeKind.MENU}
    for node in flow.nodes.values():
        if node.kind is NodeKind.ACTION:
            used |= ACTIONS[node.action].prompts
    for prompt_id in used | {"greeting", "greeting_known", "agent_transfer", "no_input"}:
        for language in LANGUAGES:
            assert flow.prompts[prompt_id][language].strip(), (prompt_id, language)
    assert set(flow.prompts) <= used | {
        "greeting",
        "greeting_known",
        "agent_transfer",
        "agents_unavailable",
        "no_input",
        "invalid_key",
    }


def test_every_registered_action_is_used() -> None:
    flow = load_flow(action_prompts())
    assert {node.action for node in flow.nodes.values() if node.action} == set(ACTIONS)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f["nodes"]["main"].update(prompt="nope"), "unknown prompt 'nope'"),
        (lambda f: f["nodes"].update(orphan={"action": "goodbye"}), "'orphan' cannot be reached"),
        (lambda f: f["nodes"]["bye"].update(action="vanish"), "missing action 'vanish'"),
        (
            lambda f: f["nodes"]["main"]["options"].update({"8": "nowhere"}),
            "unknown node 'nowhere'",
        ),
        (lambda f: f["nodes"]["main"]["options"].update({"0": "bye"}), "key '0' cannot"),
        (lambda f: f["prompts"]["goodbye"].pop("en"), "'goodbye' has no en text"),
        (lambda f: f["prompts"].pop("drug_info"), "needs unknown prompt 'drug_info'"),
        (lambda f: f.update(start="nowhere"), "start node 'nowhere'"),
        (
            lambda f: f["prompts"]["doctor_unknown"].update(en="No doctor {numero}."),
            "different fields",
        ),
    ],
)
def test_mistakes_are_named_precisely(change: Any, message: str) -> None:
    raw = copy.deepcopy(packaged())
    change(raw)
    with pytest.raises(FlowError) as caught:
        parse_flow(raw, action_prompts())
    assert message in caught.value.message


def test_edited_texts_must_keep_their_fields(tmp_path: Path) -> None:
    store = FlowStore(action_prompts(), tmp_path / "prompts.yaml")
    with pytest.raises(FlowError, match="must keep the fields"):
        store.save_texts({"drug_unknown": {"en": "No such drug."}})
    with pytest.raises(FlowError, match="Unknown prompt"):
        store.save_texts({"not_a_prompt": {"en": "Hello."}})
    flow = store.save_texts({"goodbye": {"en": "Bye now."}})
    assert flow.text("goodbye", "en") == "Bye now."
    assert store.current().text("goodbye", "en") == "Bye now."


def test_a_broken_texts_file_keeps_the_last_good_flow(tmp_path: Path) -> None:
    overrides = tmp_path / "prompts.yaml"
    store = FlowStore(action_prompts(), overrides)
    store.save_texts({"goodbye": {"en": "Bye now."}})
    assert store.current().text("goodbye", "en") == "Bye now."
    overrides.write_text("goodbye: [unclosed", encoding="utf-8")
    assert store.current().text("goodbye", "en") == "Bye now."


@pytest.mark.parametrize(
    ("name", "gender", "language", "expected"),
    [
        ("王芳", "female", "zh-CN", "王女士"),
        ("李明", "male", "zh-CN", "李先生"),
        ("王芳", "female", "en", "Ms Wang"),
        ("王芳", "unknown", "zh-CN", ""),
    ],
)
def test_title_of(name: str, gender: str, language: str, expected: str) -> None:
    assert title_of(name, gender, language) == expected
