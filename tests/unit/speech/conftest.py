"""Fixtures shared by the speech unit tests."""

from pathlib import Path

import pytest

from careline.speech import PromptText, Speaker
from tests.unit.speech.speech_fakes import FakeEngine


@pytest.fixture
def engine() -> FakeEngine:
    return FakeEngine()


@pytest.fixture
def speaker(tmp_path: Path, engine: FakeEngine) -> Speaker:
    catalog = {"welcome": PromptText("欢迎致电。", "Welcome.")}
    return Speaker(tmp_path / "cache", tmp_path / "recordings", engine=engine, catalog=catalog)
