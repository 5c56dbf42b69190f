"""What both forms need to know about the latest user message."""

from __future__ import annotations

from rasa_sdk import Tracker

# Intents a form must never absorb: the form rejects them and a rule answers. An
# emergency ends the form: the patient is not asked to go on with it then.
INTERRUPT_INTENTS = frozenset({"emergency"})


def latest_intent(tracker: Tracker) -> str | None:
    return (tracker.latest_message.get("intent") or {}).get("name")


def intent_confidence(tracker: Tracker) -> float:
    return float((tracker.latest_message.get("intent") or {}).get("confidence") or 0.0)


def entity_values(tracker: Tracker, entity: str) -> list[str]:
    return [
        str(found["value"])
        for found in tracker.latest_message.get("entities", [])
        if found.get("entity") == entity and found.get("value") is not None
    ]


def join_summaries(parts: list[str]) -> str:
    """ "a", "a and b", "a, b and c" (the "and" in the language of the call)."""
    from actions.replies import render

    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + render("list_and")[0] + parts[-1]
