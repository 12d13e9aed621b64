"""The actions a flow file may name, with the prompts each one speaks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass

from careline.ivr.session import CallSession

# An action returns the next node's name, or None for the node's ``next``.
ActionFunc = Callable[[CallSession, Mapping[str, str]], Awaitable[str | None]]


@dataclass(frozen=True, slots=True)
class ActionDef:
    name: str
    run: ActionFunc
    prompts: frozenset[str]


ACTIONS: dict[str, ActionDef] = {}


def action(name: str, prompts: Iterable[str] = ()) -> Callable[[ActionFunc], ActionFunc]:
    """Register an action under name, declaring the prompts it may speak."""

    def register(func: ActionFunc) -> ActionFunc:
        if name in ACTIONS:
            raise ValueError(f"action {name!r} is registered twice")
        ACTIONS[name] = ActionDef(name, func, frozenset(prompts))
        return func

    return register


def action_prompts() -> dict[str, frozenset[str]]:
    """Every registered action's prompts, for flow validation."""
    return {name: definition.prompts for name, definition in ACTIONS.items()}
