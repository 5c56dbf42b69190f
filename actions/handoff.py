"""The `handoff` custom payload (docs/ARCHITECTURE.md) built from the conversation."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

from actions.content import criterion_ids
from actions.language import patient_language

# Intents whose message says nothing about what the patient came for.
_NOT_A_QUESTION = frozenset(
    {
        "start",
        "greet",
        "goodbye",
        "thank",
        "help",
        "affirm",
        "deny",
        "request_human",
        "ask_consent_question",
        "nlu_fallback",
        "out_of_scope",
    }
)
# The messages that started a second-opinion check describe the case best.
SECOND_OPINION_INTENTS = ("request_second_opinion", "inform_criteria")
_ASKED_MAX_CHARS = 300


def _typed_messages(tracker: Tracker) -> list[tuple[str, str | None]]:
    """(text, intent) of what the patient typed, newest first; button payloads left out."""
    typed = []
    for event in reversed(tracker.events):
        text = str(event.get("text") or "")
        if event.get("event") != "user" or not text or text.startswith("/"):
            continue
        typed.append((text, (event.get("parse_data") or {}).get("intent", {}).get("name")))
    return typed


def what_was_asked(tracker: Tracker, prefer_intents: tuple[str, ...] = ()) -> str:
    """The patient's latest typed message that carries a question or a situation.

    A message of one of `prefer_intents` wins over later ones (e.g. the request that
    started the second-opinion check rather than a question asked during consent).
    """
    typed = _typed_messages(tracker)
    chosen = (
        next((text for text, intent in typed if intent in prefer_intents), None)
        or next((text for text, intent in typed if intent not in _NOT_A_QUESTION), None)
        or next((text for text, _ in typed), "")
    )
    return chosen[:_ASKED_MAX_CHARS]


def criteria_met(tracker: Tracker) -> list[str]:
    return [criterion for criterion in criterion_ids() if tracker.get_slot(criterion) is True]


def handoff_payload(tracker: Tracker, reason: str, urgency: str = "normal") -> dict[str, Any]:
    """A `handoff` payload: the gateway opens or updates the patient's case from it."""
    prefer = SECOND_OPINION_INTENTS if reason in {"second_opinion", "consent_refused"} else ()
    met = criteria_met(tracker)
    return {
        "type": "handoff",
        "reason": reason,
        "urgency": urgency,
        "summary": {
            "asked": what_was_asked(tracker, prefer),
            "criteria_met": met,
            "language": patient_language(tracker),
            "procedure": tracker.get_slot("procedure"),
            "body_part": tracker.get_slot("body_part"),
            "purpose": tracker.get_slot("purpose"),
            "understood": tracker.get_slot("understood"),
            # The patient's own words for each criterion met, for the staff.
            "criteria_words": {
                criterion: words
                for criterion, words in (tracker.get_slot("criteria_words") or {}).items()
                if criterion in met
            },
        },
    }
