"""Answers to "is X plastic or cosmetic?", from the procedure knowledge (actions.procedures)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.descriptions import (
    DESCRIPTION_EXTRACTOR,
    answer_description,
    answer_for_remembered_part,
    answer_general_purpose,
    ask_which_part,
    ask_which_purpose,
    described_in,
    understood_of,
)
from actions.procedure_answers import answer_procedure
from actions.replies import say
from understanding.cues import cues

if TYPE_CHECKING:
    from actions.procedures import Procedure

CATALOG_EXTRACTOR = "ProcedureCatalogExtractor"


def find_procedure(name: str) -> Procedure | None:
    """The knowledge module's lookup, imported on first use (no loading at import time)."""
    from actions.procedures import find_procedure as lookup

    return lookup(name)


def _entity(tracker: Tracker, entity: str) -> dict[str, Any] | None:
    """The entity of that type a name gave (the catalog's own match first); a description's
    readings are not names (actions/descriptions.py)."""
    found = [
        e
        for e in tracker.latest_message.get("entities", [])
        if e.get("entity") == entity and e.get("extractor") != DESCRIPTION_EXTRACTOR
    ]
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


def purpose_in_message(tracker: Tracker) -> str | None:
    """The purpose the message gives: the description's reading (a stated cause wins), else
    DIET's or a button's."""
    return described_in(tracker).purpose or _entity_value(tracker, "purpose")


def answer_procedure_question(
    dispatcher: CollectingDispatcher, tracker: Tracker, buttons: bool = True
) -> list[EventType]:
    """`ask_procedure_category`: a named procedure's category (for the purpose the message
    gives), a description's, an unknown name said plainly, or one short question."""
    text = str(tracker.latest_message.get("text") or "")
    procedure, written = procedure_in_message(tracker)
    purpose = purpose_in_message(tracker)
    if procedure is not None:
        answer_procedure(dispatcher, procedure, purpose, buttons)
        return [*remember(procedure, purpose), SlotSet("handoff_reason", None)]
    described = described_in(tracker)
    if described.procedure or described.part or described.cause:
        answered = answer_description(dispatcher, tracker, described, buttons)
        if answered is not None:
            return [*answered, SlotSet("handoff_reason", None)]
    if described.unclear and not purpose:
        return ask_which_purpose(dispatcher)
    written = written or (None if text.startswith("/") else cues().unknown_name(text))
    if written is not None:
        say(dispatcher, "unknown_procedure")
        return [SlotSet("procedure", written), SlotSet("handoff_reason", "unknown_procedure")]
    if purpose:
        return answer_purpose_alone(dispatcher, tracker, purpose, buttons)
    if text.startswith("/"):
        # The [Ask another] button.
        say(dispatcher, "ask_which_procedure")
        return []
    return ask_which_purpose(dispatcher)


def answer_purpose_alone(
    dispatcher: CollectingDispatcher, tracker: Tracker, purpose: str, buttons: bool = True
) -> list[EventType]:
    """A purpose without a procedure or part in the message: for the one answered last,
    else the part is asked (a goal) or the seeds' rule for that purpose answers."""
    remembered = tracker.get_slot("procedure")
    procedure = find_procedure(str(remembered)) if remembered else None
    if procedure is not None:
        answer_procedure(dispatcher, procedure, purpose, buttons)
        return remember(procedure, purpose)
    answered = answer_for_remembered_part(dispatcher, tracker, purpose, buttons)
    if answered is not None:
        return answered
    if purpose == "appearance" and described_in(tracker).purpose:
        return ask_which_part(dispatcher, purpose)
    return answer_general_purpose(dispatcher, purpose, buttons)


def remember(procedure: Procedure, purpose: str | None) -> list[EventType]:
    """The slots a follow-up and the staff's case summary need after a named procedure."""
    kept = purpose if procedure.category == "depends" else None
    return [
        SlotSet("procedure", procedure.id),
        SlotSet("body_part", None),
        SlotSet("purpose", kept),
        SlotSet("understood", understood_of(procedure.id, kept)),
    ]


class ActionAnswerProcedure(Action):
    """`ask_procedure_category`: answer from the knowledge, or say it is unknown."""

    def name(self) -> str:
        return "action_answer_procedure"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        return answer_procedure_question(dispatcher, tracker)


class ActionAnswerPurpose(Action):
    """`inform_purpose`: the answer for the procedure or part asked about before."""

    def name(self) -> str:
        return "action_answer_purpose"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        named, _ = procedure_in_message(tracker)
        purpose = purpose_in_message(tracker)
        if named is not None:
            answer_procedure(dispatcher, named, purpose)
            return remember(named, purpose)
        described = described_in(tracker)
        if described.procedure or described.part:
            # "My eyelids block my vision": the message's own description is answered.
            answered = answer_description(dispatcher, tracker, described)
            if answered is not None:
                return answered
        if purpose is None:
            say(dispatcher, "ask_which_procedure")
            return []
        return answer_purpose_alone(dispatcher, tracker, purpose)
