"""Loading the flow file, the admin's edited prompt texts, and reloading without a restart.

The packaged ``flow.yaml`` holds the menus and the default texts; texts edited in the web
admin live in ``<data_dir>/ivr/prompts.yaml``. ``FlowStore.current()`` looks at that file's
modification time (one stat) and revalidates only when it changed, so a new text reaches
the next call; a broken edit is logged and the last good flow stays in use.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import structlog
import yaml

from careline.ivr.model import FlowError, FlowSpec, check_prompt_text, parse_flow

log = structlog.get_logger(__name__)
DEFAULT_FLOW = Path(__file__).with_name("flow.yaml")


def read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise FlowError(f"{path.name} is not valid YAML: {error}") from None


def load_flow(actions: Mapping[str, frozenset[str]], path: Path = DEFAULT_FLOW) -> FlowSpec:
    """Read and validate a flow file; raise FlowError naming what is wrong."""
    return parse_flow(read_yaml(path), actions)


def _texts(raw: Any) -> dict[str, dict[str, str]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(isinstance(v, dict) for v in raw.values()):
        raise FlowError("Edited prompt texts must map prompt ids to languages and texts.")
    return {str(k): {str(lang): str(text) for lang, text in v.items()} for k, v in raw.items()}


class FlowStore:
    """The flow in use: the packaged file plus the admin's texts, reloaded on change."""

    def __init__(
        self,
        actions: Mapping[str, frozenset[str]],
        overrides: Path | None = None,
        flow_path: Path = DEFAULT_FLOW,
    ) -> None:
        self.base = load_flow(actions, flow_path)
        self.overrides = overrides
        self._stamp: tuple[int, int] | None = None
        self._flow = self.base
        self.current()

    def _file_stamp(self) -> tuple[int, int] | None:
        if self.overrides is None:
            return None
        try:
            status = os.stat(self.overrides)
        except FileNotFoundError:
            return None
        return status.st_mtime_ns, status.st_size

    def current(self) -> FlowSpec:
        """The flow to use for a new call."""
        stamp = self._file_stamp()
        if stamp != self._stamp:
            self._stamp = stamp
            try:
                self._flow = self.base.with_texts(self.edited_texts())
                log.info("ivr_prompts_reloaded")
            except FlowError as error:
                log.error("ivr_prompts_rejected", error=error.message)
        return self._flow

    def edited_texts(self) -> dict[str, dict[str, str]]:
        """The texts the admin changed, as stored."""
        if self.overrides is None or not self.overrides.exists():
            return {}
        return _texts(read_yaml(self.overrides))

    def save_texts(self, edits: Mapping[str, Mapping[str, str]]) -> FlowSpec:
        """Validate and store edited texts (merged with earlier edits); return the new flow."""
        if self.overrides is None:
            raise FlowError("This Careline has no place to store edited prompt texts.")
        merged = self.edited_texts()
        for prompt_id, texts in edits.items():
            for language, text in texts.items():
                original = self.base.prompts.get(prompt_id, {}).get(language)
                check_prompt_text(prompt_id, language, text, original)
                if text.strip() == original:
                    merged.get(prompt_id, {}).pop(language, None)
                else:
                    merged.setdefault(prompt_id, {})[language] = text.strip()
        flow = self.base.with_texts(merged)
        self.overrides.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.overrides.with_suffix(".tmp")
        body = {key: value for key, value in merged.items() if value}
        temporary.write_text(yaml.safe_dump(body, allow_unicode=True), encoding="utf-8")
        os.replace(temporary, self.overrides)
        return flow
