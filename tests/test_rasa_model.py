"""The trained dialogue model: data validation, test stories, held-out NLU (slow)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench.evaluate import HELDOUT, ROOT, heldout_f1, rasa

pytestmark = pytest.mark.slow
HELDOUT_MIN_MACRO_F1 = 0.90


@pytest.fixture(scope="session")
def model() -> Path:
    """models/triage.tar.gz, trained first if missing or older than its data."""
    from bot.model import ensure_model

    return ensure_model()


def test_data_validates_without_warnings() -> None:
    run = rasa("data", "validate", "--fail-on-warnings", "-d", "domain.yml",
               "--data", "nlu", "stories")
    assert run.returncode == 0, run.output[-3000:]
    warnings = [
        line for line in run.output.splitlines()
        if re.search(r"UserWarning|FutureWarning| WARNING ", line)
    ]
    assert warnings == []


def test_every_test_story_is_predicted(model: Path, tmp_path: Path) -> None:
    # `rasa test core` replays the stories without calling the action server: it
    # emulates a form's rejection when a story leaves the form (rasa.core.test).
    run = rasa("test", "core", "--model", str(model), "--stories", "tests/stories",
               "--fail-on-prediction-errors", "--out", str(tmp_path))
    failed = tmp_path / "failed_test_stories.yml"
    details = failed.read_text(encoding="utf-8") if failed.exists() else run.output[-3000:]
    assert run.returncode == 0, details


def test_heldout_intent_macro_f1(model: Path, tmp_path: Path) -> None:
    if not HELDOUT.exists():
        pytest.skip(f"{HELDOUT.relative_to(ROOT)} does not exist yet (held-out set)")
    f1 = heldout_f1(model, tmp_path)
    assert f1 >= HELDOUT_MIN_MACRO_F1, f"held-out intent macro-F1 {f1:.3f}"
