"""Answers to "is X plastic or cosmetic?", from the procedure knowledge (actions.procedures)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.replies import say

if TYPE_CHECKING:
    from actions.procedures import Procedure

CATALOG_EXTRACTOR = "ProcedureCatalogExtractor"


def find_procedure(name: str) -> Procedure | None:
    """The knowledge module's lookup, imported on first use (no loading at import time)."""
    from actions.procedures import find_procedure as lookup

    return lookup(name)


def _entity(tracker: Tracker, entity: str) -> dict[str, Any] | None:
    """The entity of that type, the catalog's own match first."""
    found = [e for e in tracker.latest_message.get("entities", []) if e.get("entity") == entity]
    found.sort(key=lambda e: e.get("extractor") != CATALOG_EXTRACTOR)
    return found[0] if found else None


def _entity_value(tracker: Tracker, entity: str) -> str | None:
    found = _entity(tracker, entity)
    return str(found["value"]) if found and found.get("value") else None


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
    if text.startswith("/"):
        return None, None
    found = find_procedure(text)
    return found, (found.name if found else None)


def _sentence_start(name: str) -> str:
    """Procedure names are stored lower-case ("breast lift"); the replies open with them."""
    return name[:1].upper() + name[1:]


def _phrase(text: str) -> str:
    """A reason as a phrase to continue a sentence: the template adds the full stop."""
    return text.strip().rstrip(".")


def answer_known(
    dispatcher: CollectingDispatcher, procedure: Procedure, buttons: bool = True
) -> None:
    """Category first, then the one-line reason, with the next-step buttons."""
    say(
        dispatcher,
        f"procedure_{procedure.category}",
        buttons=buttons,
        name=_sentence_start(procedure.name),
        reason=_phrase(procedure.reason),
    )


def answer_for_purpose(
    dispatcher: CollectingDispatcher, procedure: Procedure, purpose: str, buttons: bool = True
) -> None:
    answer = procedure.by_purpose[purpose]
    say(dispatcher, f"purpose_{answer.category}", buttons=buttons, reason=_phrase(answer.reason))


def answer_depends(dispatcher: CollectingDispatcher, procedure: Procedure) -> None:
    """The usual category at once, when it would be the other, and the purpose buttons."""
    usual, other = procedure.usual_purpose, procedure.exception_purpose
    assert usual is not None and other is not None  # the loader guarantees both
    say(
        dispatcher,
        f"procedure_depends_{procedure.usual}",
        name=_sentence_start(procedure.name),
        usual_reason=_phrase(procedure.by_purpose[usual].reason),
        other_reason=_phrase(procedure.by_purpose[other].reason),
    )


def answer_procedure(
    dispatcher: CollectingDispatcher,
    procedure: Procedure,
    purpose: str | None,
    buttons: bool = True,
) -> None:
    """The answer for a known procedure: its category, or for a purpose-dependent one the
    category for the purpose given, else the usual one and the exception."""
    if procedure.category != "depends":
        answer_known(dispatcher, procedure, buttons)
    elif purpose in procedure.by_purpose:
        answer_for_purpose(dispatcher, procedure, purpose, buttons)
    else:
        answer_depends(dispatcher, procedure)


def answer_procedure_question(
    dispatcher: CollectingDispatcher, tracker: Tracker, buttons: bool = True
) -> list[EventType]:
    """`ask_procedure_category` (or a purpose typed with a procedure): answer from the
    knowledge, or say the procedure is unknown."""
    text = str(tracker.latest_message.get("text") or "")
    procedure, written = procedure_in_message(tracker)
    remembered = tracker.get_slot("procedure")
    purpose = _entity_value(tracker, "purpose")
    if procedure is None and purpose and remembered:
        procedure = find_procedure(str(remembered))
    if procedure is None and written is None and (text.startswith("/") or purpose):
        # The [Ask another] button, or a purpose with nothing to apply it to.
        say(dispatcher, "ask_which_procedure")
        return []
    if procedure is None:
        say(dispatcher, "unknown_procedure")
        return [SlotSet("procedure", written), SlotSet("handoff_reason", "unknown_procedure")]
    answer_procedure(dispatcher, procedure, purpose, buttons)
    return [SlotSet("procedure", procedure.id), SlotSet("handoff_reason", None)]


class ActionAnswerProcedure(Action):
    """`ask_procedure_category`: answer from the knowledge, or say it is unknown."""

    def name(self) -> str:
        return "action_answer_procedure"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        return answer_procedure_question(dispatcher, tracker)


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
        answer_procedure(dispatcher, procedure, _entity_value(tracker, "purpose"))
        return [SlotSet("procedure", procedure.id)]
