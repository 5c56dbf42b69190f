"""Answers to "is X plastic or cosmetic?", from the procedure knowledge (actions.procedures)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.replies import say

if TYPE_CHECKING:
    from actions.procedures import Procedure

PURPOSES = ("appearance", "function")
# Words that never name a procedure; skipping them keeps the typo-tolerant lookup
# from matching a short everyday word to a procedure name.
_NOT_PROCEDURE_WORDS = frozenset(
    """
    a an the is it its this that my me i of for to in on or and be was are what which
    plastic cosmetic surgery surgeon operation procedure treatment kind type category
    kya hai ya hota hoti ka ki ke ye yeh woh wo mera meri tell about please pls plz
    reconstructive aesthetic question know want get do does can
    """.split()
)
_MAX_NGRAM = 4
_MIN_CANDIDATE_CHARS = 4


def find_procedure(name: str) -> Procedure | None:
    """The knowledge module's lookup, imported on first use (no loading at import time)."""
    from actions.procedures import find_procedure as lookup

    return lookup(name)


def _entity(tracker: Tracker, entity: str) -> dict[str, Any] | None:
    return next(
        (e for e in tracker.latest_message.get("entities", []) if e.get("entity") == entity),
        None,
    )


def _entity_value(tracker: Tracker, entity: str) -> str | None:
    found = _entity(tracker, entity)
    return str(found["value"]) if found and found.get("value") else None


def _candidates(text: str) -> list[str]:
    """Word n-grams of a message, longest first: a safety net when NLU tagged no entity."""
    words = re.findall(r"[\w'-]+", text.lower())
    grams: list[str] = []
    for size in range(min(_MAX_NGRAM, len(words)), 0, -1):
        for start in range(len(words) - size + 1):
            gram = words[start : start + size]
            if gram[0] in _NOT_PROCEDURE_WORDS or gram[-1] in _NOT_PROCEDURE_WORDS:
                continue
            joined = " ".join(gram)
            if len(joined) >= _MIN_CANDIDATE_CHARS:
                grams.append(joined)
    return grams


def procedure_in_message(tracker: Tracker) -> tuple[Procedure | None, str | None]:
    """The procedure the latest message names, and the name as the patient wrote it."""
    text = str(tracker.latest_message.get("text") or "")
    entity = _entity(tracker, "procedure")
    if entity:
        start, end = entity.get("start"), entity.get("end")
        written = text[start:end] if isinstance(start, int) and isinstance(end, int) else None
        written = written or str(entity.get("value"))
        found = find_procedure(str(entity.get("value"))) or find_procedure(written)
        return found, written
    for candidate in _candidates(text):
        found = find_procedure(candidate)
        if found is not None:
            return found, candidate
    return None, None


def _sentence_start(name: str) -> str:
    """Procedure names are stored lower-case ("breast lift"); the replies open with them."""
    return name[:1].upper() + name[1:]


def _phrase(text: str) -> str:
    """A reason as a phrase to continue a sentence: the template adds the full stop."""
    return text.strip().rstrip(".")


def answer_known(dispatcher: CollectingDispatcher, procedure: Procedure) -> None:
    """Category first, then the one-line reason, with the next-step buttons."""
    say(
        dispatcher,
        f"procedure_{procedure.category}",
        name=_sentence_start(procedure.name),
        reason=_phrase(procedure.reason),
    )


def answer_for_purpose(
    dispatcher: CollectingDispatcher, procedure: Procedure, purpose: str
) -> None:
    answer = procedure.by_purpose[purpose]
    say(dispatcher, f"purpose_{answer.category}", reason=_phrase(answer.reason))


def ask_purpose(dispatcher: CollectingDispatcher, procedure: Procedure) -> None:
    say(dispatcher, "ask_purpose", name=_sentence_start(procedure.name))


class ActionAnswerProcedure(Action):
    """`ask_procedure_category`: answer from the knowledge, ask the purpose, or say unknown."""

    def name(self) -> str:
        return "action_answer_procedure"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        text = str(tracker.latest_message.get("text") or "")
        procedure, written = procedure_in_message(tracker)
        if procedure is None and written is None and text.startswith("/"):
            # The [Ask another] button: no name yet, so ask for one.
            say(dispatcher, "ask_which_procedure")
            return []
        if procedure is None:
            say(dispatcher, "unknown_procedure")
            return [SlotSet("procedure", written), SlotSet("handoff_reason", "unknown_procedure")]
        events: list[EventType] = [
            SlotSet("procedure", procedure.id),
            SlotSet("handoff_reason", None),
        ]
        if procedure.category != "depends":
            answer_known(dispatcher, procedure)
            return events
        purpose = _entity_value(tracker, "purpose")
        if purpose in procedure.by_purpose:
            answer_for_purpose(dispatcher, procedure, purpose)
        else:
            ask_purpose(dispatcher, procedure)
        return events


class ActionAnswerPurpose(Action):
    """`inform_purpose`: the answer for a purpose-dependent procedure asked about before."""

    def name(self) -> str:
        return "action_answer_purpose"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        named, _ = procedure_in_message(tracker)
        remembered = tracker.get_slot("procedure")
        procedure = named or (find_procedure(str(remembered)) if remembered else None)
        if procedure is None:
            say(dispatcher, "ask_which_procedure")
            return []
        events: list[EventType] = [SlotSet("procedure", procedure.id)]
        if procedure.category != "depends":
            answer_known(dispatcher, procedure)
            return events
        purpose = _entity_value(tracker, "purpose")
        if purpose in procedure.by_purpose:
            answer_for_purpose(dispatcher, procedure, purpose)
        else:
            ask_purpose(dispatcher, procedure)
        return events
