""" "A dermatologist or a plastic surgeon?": the answer of the client's seed on cosmetic
dermatology and plastic surgery, then the category of what the patient named or
described."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.descriptions import answer_description, described_in
from actions.procedure_actions import procedure_in_message, purpose_in_message, remember
from actions.procedure_answers import answer_procedure
from actions.replies import say


def answer_specialist(
    dispatcher: CollectingDispatcher, tracker: Tracker, buttons: bool = True
) -> list[EventType]:
    """The specialist answer; the category of a procedure named or described follows it."""
    procedure, _ = procedure_in_message(tracker)
    described = described_in(tracker)
    if procedure is None and not (described.procedure or described.part or described.cause):
        say(dispatcher, "specialist", buttons=buttons)
        return []
    say(dispatcher, "specialist", buttons=False)
    if procedure is not None:
        purpose = purpose_in_message(tracker)
        answer_procedure(dispatcher, procedure, purpose, buttons)
        return remember(procedure, purpose)
    return answer_description(dispatcher, tracker, described, buttons) or []


class ActionAnswerSpecialist(Action):
    """`ask_dermatology`: which kind of doctor, then the category of what was named."""

    def name(self) -> str:
        return "action_answer_specialist"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        return answer_specialist(dispatcher, tracker)
