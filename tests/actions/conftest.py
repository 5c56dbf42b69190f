"""Fixtures for unit tests of the custom actions (rasa_sdk Tracker, CollectingDispatcher)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

ROOT = Path(__file__).resolve().parents[2]
TrackerFactory = Callable[..., Tracker]


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    with (ROOT / "domain.yml").open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


def user_event(
    text: str,
    intent: str,
    entities: list[dict[str, Any]] | None = None,
    confidence: float = 1.0,
    metadata: dict[str, Any] | None = None,
) -> dict:
    return {
        "event": "user",
        "text": text,
        "metadata": metadata or {},
        "parse_data": {
            "text": text,
            "intent": {"name": intent, "confidence": confidence},
            "entities": entities or [],
        },
    }


def _make_tracker(
    text: str = "",
    intent: str | None = None,
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    history: list[dict[str, Any]] | None = None,
    active_loop: str | None = None,
    confidence: float = 1.0,
    metadata: dict[str, Any] | None = None,
) -> Tracker:
    """A tracker whose latest message is `text` with `intent` and `entities` (and the
    gateway's `metadata`, e.g. the consent in force)."""
    latest = user_event(text, intent or "", entities, confidence, metadata)
    events = [*(history or []), latest] if intent is not None else list(history or [])
    return Tracker(
        sender_id="patient-1",
        slots=dict(slots or {}),
        latest_message=latest["parse_data"] if intent is not None else {},
        events=events,
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


@pytest.fixture
def make_tracker() -> TrackerFactory:
    return _make_tracker


@pytest.fixture
def tracker() -> Tracker:
    """An empty conversation."""
    return _make_tracker()


def custom_payloads(dispatcher: CollectingDispatcher) -> list[dict[str, Any]]:
    return [m["custom"] for m in dispatcher.messages if m.get("custom")]


def texts(dispatcher: CollectingDispatcher) -> list[str]:
    return [m["text"] for m in dispatcher.messages if m.get("text")]


# Bookkeeping of misunderstandings in a row, asserted in test_digressions.py.
MISUNDERSTOOD_SLOT = "misunderstood_turn"


def slot_events(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The slots the events set, without the misunderstanding bookkeeping."""
    return {
        e["name"]: e["value"]
        for e in events
        if e.get("event") == "slot" and e["name"] != MISUNDERSTOOD_SLOT
    }


def nlu_entities(text: str) -> list[dict[str, Any]]:
    """The entities the NLU's deterministic readers give `text` (catalog, description,
    criteria), as the actions receive them from a real parse."""
    from rasa.shared.nlu.training_data.message import Message

    from understanding.components import ProcedureCatalogExtractor
    from understanding.readers import CriteriaExtractor, DescriptionExtractor

    message = Message(data={"text": text, "entities": []})
    for component in (
        ProcedureCatalogExtractor({"catalog": None}),
        DescriptionExtractor({"descriptions": None}),
        CriteriaExtractor({"criteria": None}),
    ):
        component.process([message])
    return list(message.get("entities"))
