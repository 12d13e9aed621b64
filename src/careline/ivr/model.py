"""The phone line's flow as data (pure): nodes, prompts, validation and call records.

A flow file names prompts (text per language, with ``{placeholders}`` filled by actions)
and nodes. A ``menu`` node plays its prompt and maps keys to nodes; an ``action`` node runs
a Python action and then goes to ``next`` unless the action chose another node. Validation
is strict so that a mistake in the file stops start-up with a message that names it.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from careline.kit.errors import CarelineError
from careline.kit.text import pinyin_keys

LANGUAGES = ("zh-CN", "en")
KEYS = frozenset("0123456789*#")
RESERVED_KEYS = frozenset("0*")  # 0 reaches an agent and * repeats, in every menu
NODE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MAX_PROMPT_CHARS = 1000


class IvrError(CarelineError):
    status_code = 400
    error_id = "ivr_error"


class FlowError(IvrError):
    """The flow file is not usable; the message names the node or prompt at fault."""

    status_code = 422
    error_id = "ivr_flow_invalid"


class Outcome(StrEnum):
    SELF_SERVED = "self_served"
    TO_AGENT = "to_agent"
    ABANDONED = "abandoned"


class NodeKind(StrEnum):
    MENU = "menu"
    ACTION = "action"


@dataclass(frozen=True, slots=True)
class Node:
    name: str
    kind: NodeKind
    prompt: str = ""
    options: Mapping[str, str] = field(default_factory=dict)
    action: str = ""
    args: Mapping[str, str] = field(default_factory=dict)
    next: str = ""
    exits: tuple[str, ...] = ()  # other nodes the action may choose

    def targets(self) -> tuple[str, ...]:
        """Every node this one can lead to."""
        found = (*self.options.values(), *self.exits)
        return (*found, self.next) if self.next else found


@dataclass(frozen=True, slots=True)
class FlowSpec:
    """A validated flow: where calls start, the agent queue, prompts and nodes."""

    start: str
    queue: str
    prompts: Mapping[str, Mapping[str, str]]
    nodes: Mapping[str, Node]

    def text(self, prompt_id: str, language: str) -> str:
        texts = self.prompts[prompt_id]
        return texts.get(language) or texts["zh-CN"]

    def with_texts(self, overrides: Mapping[str, Mapping[str, str]]) -> FlowSpec:
        """Return the flow with edited prompt texts (unknown ids or empty texts refused)."""
        merged = {key: dict(value) for key, value in self.prompts.items()}
        for prompt_id, texts in overrides.items():
            if prompt_id not in merged:
                raise FlowError(f"Unknown prompt {prompt_id!r} in the edited texts.")
            for language, text in texts.items():
                check_prompt_text(prompt_id, language, text, merged[prompt_id].get(language))
                merged[prompt_id][language] = text.strip()
        return FlowSpec(self.start, self.queue, merged, self.nodes)


def placeholders(text: str) -> frozenset[str]:
    """The ``{name}`` fields of a prompt text."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(text) if name)


def check_prompt_text(prompt_id: str, language: str, text: str, original: str | None) -> None:
    """Refuse an edited text that is empty, too long or changes the placeholders."""
    if language not in LANGUAGES:
        raise FlowError(f"Prompt {prompt_id!r}: unknown language {language!r}.")
    if not text.strip() or len(text) > MAX_PROMPT_CHARS:
        raise FlowError(f"Prompt {prompt_id!r} ({language}): text is empty or too long.")
    try:
        fields = placeholders(text)
    except ValueError as error:
        raise FlowError(f"Prompt {prompt_id!r} ({language}): {error}.") from None
    if original is not None and fields != placeholders(original):
        raise FlowError(
            f"Prompt {prompt_id!r} ({language}) must keep the fields "
            f"{sorted(placeholders(original))}."
        )


def _prompts(raw: Any) -> dict[str, dict[str, str]]:
    if not isinstance(raw, dict) or not raw:
        raise FlowError("The flow file needs a 'prompts' mapping.")
    prompts: dict[str, dict[str, str]] = {}
    for prompt_id, texts in raw.items():
        if not isinstance(texts, dict):
            raise FlowError(f"Prompt {prompt_id!r} must map languages to texts.")
        for language in LANGUAGES:
            text = texts.get(language)
            if not isinstance(text, str) or not text.strip():
                raise FlowError(f"Prompt {prompt_id!r} has no {language} text.")
        if set(texts) - set(LANGUAGES):
            raise FlowError(f"Prompt {prompt_id!r} has an unknown language.")
        if placeholders(texts["zh-CN"]) != placeholders(texts["en"]):
            raise FlowError(f"Prompt {prompt_id!r} has different fields in zh-CN and en.")
        prompts[str(prompt_id)] = {language: texts[language].strip() for language in LANGUAGES}
    return prompts


def _node(name: str, raw: Any) -> Node:
    if not NODE_NAME.match(name):
        raise FlowError(f"Node name {name!r} must be lower-case letters, digits and '_'.")
    if not isinstance(raw, dict):
        raise FlowError(f"Node {name!r} must be a mapping.")
    if "action" in raw:
        args = raw.get("args") or {}
        exits = raw.get("exits") or []
        return Node(
            name,
            NodeKind.ACTION,
            action=str(raw["action"]),
            args={str(k): str(v) for k, v in args.items()},
            next=str(raw.get("next") or ""),
            exits=tuple(str(e) for e in exits),
        )
    if "prompt" not in raw or not isinstance(raw.get("options"), dict):
        raise FlowError(f"Node {name!r} needs either an action or a prompt with options.")
    options = {str(key): str(target) for key, target in raw["options"].items()}
    bad = [key for key in options if key not in KEYS or key in RESERVED_KEYS]
    if bad:
        raise FlowError(f"Node {name!r}: key {bad[0]!r} cannot be a menu option.")
    return Node(name, NodeKind.MENU, prompt=str(raw["prompt"]), options=options)


def parse_flow(raw: Any, actions: Mapping[str, frozenset[str]]) -> FlowSpec:
    """Validate a loaded flow file against the known actions (name -> prompts they use)."""
    if not isinstance(raw, dict):
        raise FlowError("The flow file must be a mapping.")
    prompts = _prompts(raw.get("prompts"))
    nodes_raw = raw.get("nodes")
    if not isinstance(nodes_raw, dict) or not nodes_raw:
        raise FlowError("The flow file needs a 'nodes' mapping.")
    nodes = {str(name): _node(str(name), value) for name, value in nodes_raw.items()}
    start = str(raw.get("start", ""))
    if start not in nodes:
        raise FlowError(f"The start node {start!r} is not defined.")
    for node in nodes.values():
        _check_node(node, nodes, prompts, actions)
    unreachable = sorted(set(nodes) - reachable(start, nodes))
    if unreachable:
        raise FlowError(f"Node {unreachable[0]!r} cannot be reached from {start!r}.")
    for required in ("agent_transfer", "invalid_key", "agents_unavailable"):
        if required not in prompts:
            raise FlowError(f"Unknown prompt {required!r}: the engine needs it.")
    return FlowSpec(start, str(raw.get("queue") or "general"), prompts, nodes)


def _check_node(
    node: Node,
    nodes: Mapping[str, Node],
    prompts: Mapping[str, object],
    actions: Mapping[str, frozenset[str]],
) -> None:
    for target in node.targets():
        if target not in nodes:
            raise FlowError(f"Node {node.name!r} leads to unknown node {target!r}.")
    if node.kind is NodeKind.MENU:
        if node.prompt not in prompts:
            raise FlowError(f"Node {node.name!r} uses unknown prompt {node.prompt!r}.")
        return
    if node.action not in actions:
        raise FlowError(f"Node {node.name!r} uses missing action {node.action!r}.")
    for prompt_id in sorted(actions[node.action]):
        if prompt_id not in prompts:
            raise FlowError(
                f"Action {node.action!r} (node {node.name!r}) needs unknown prompt {prompt_id!r}."
            )


def reachable(start: str, nodes: Mapping[str, Node]) -> set[str]:
    """The names of the nodes a caller can reach from start."""
    seen = {start}
    todo = [start]
    while todo:
        for target in nodes[todo.pop()].targets():
            if target in nodes and target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def title_of(name: str, gender: str, language: str) -> str:
    """Address a caller by title: 王女士 / Ms Wang (surname only; unknown gender: none)."""
    surname = name.strip()[:1]
    if not surname or gender not in ("male", "female"):
        return ""
    if language == "zh-CN":
        return surname + ("先生" if gender == "male" else "女士")
    latin = pinyin_keys(surname)[0].capitalize() if surname else ""
    return f"{'Mr' if gender == 'male' else 'Ms'} {latin}".strip()


@dataclass(frozen=True, slots=True)
class HandoffContext:
    """What the agent sees when an IVR caller reaches the queue."""

    call_id: str
    language: str
    menu_path: tuple[str, ...]
    member_card: str | None = None
    patient_id: int | None = None
    reason: str = "caller_request"


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One call through the IVR, for supervisors."""

    call_id: str
    caller: str
    started_at: datetime
    ended_at: datetime
    language: str
    outcome: Outcome
    path: tuple[str, ...]
    keys: str
    prompts: tuple[str, ...]
    patient_id: int | None = None
    member_card: str | None = None
    id: int = 0
