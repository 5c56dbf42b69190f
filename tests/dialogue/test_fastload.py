"""DIET loaded by one prediction (bot/dialogue/fastload.py) reads every message exactly as
Rasa's own load (one training step) does: intent, its ranking and confidences, entities."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import bot.dialogue.fastload as fastload
from bot.model import ensure_model
from bot.paths import ROOT

pytestmark = pytest.mark.slow


def heldout_messages(limit: int = 120) -> list[str]:
    data = yaml.safe_load((ROOT / "tests/nlu/heldout.yml").read_text())
    texts = [
        line.strip()[2:]
        for item in data["nlu"]
        for line in str(item.get("examples", "")).splitlines()
        if line.strip().startswith("- ")
    ]
    return texts[:: max(1, len(texts) // limit)][:limit]


async def readings(model: Path, messages: list[str]) -> list[dict[str, object]]:
    from rasa.core.agent import Agent

    agent = Agent.load(model)
    found = []
    for text in messages:
        parsed = await agent.parse_message(text)
        found.append({k: parsed.get(k) for k in ("intent", "intent_ranking", "entities")})
    return found


async def test_the_fast_load_reads_messages_as_rasas_own(monkeypatch: pytest.MonkeyPatch) -> None:
    from rasa.utils.tensorflow.models import RasaModel

    model, messages = ensure_model(), heldout_messages()
    fastload.build_models_by_predicting()
    assert fastload.rasa_load is not None
    fast = await readings(model, messages)
    monkeypatch.setattr(RasaModel, "load", classmethod(fastload.rasa_load))
    rasas = await readings(model, messages)
    assert len(fast) == len(messages) > 50
    assert fast == rasas
    assert {r["intent"]["name"] for r in fast} - {"nlu_fallback"}, "a model that reads nothing"  # type: ignore[index]
