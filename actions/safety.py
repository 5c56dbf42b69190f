"""Always-available paths: emergency red flags, a check when unsure, and a person."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.forms_common import entity_values
from actions.handoff import handoff_payload
from actions.replies import say

# Reasons an earlier answer left pending for the case opened when the patient asks for
# a person (e.g. after "I don't know that procedure" or a consent refusal).
PENDING_REASONS = frozenset({"unknown_procedure", "consent_refused"})
SELF_HARM = "self_harm"


def emergency_reply(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """Self-harm gets its own warm reply with the helplines; every other red flag the
    emergency guidance. Either way an urgent case goes to the staff at once."""
    kinds = entity_values(tracker, "red_flag")
    say(dispatcher, "self_harm" if SELF_HARM in kinds else "emergency")
    dispatcher.utter_message(
        json_message=handoff_payload(tracker, reason="emergency", urgency="urgent")
    )


class ActionEmergency(Action):
    """Emergency guidance (or the self-harm reply) at once, and an urgent case for the staff."""

    def name(self) -> str:
        return "action_emergency"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        emergency_reply(dispatcher, tracker)
        return []


class ActionCheckEmergency(Action):
    """The NLU is not sure it is an emergency: ask whether it is happening right now."""

    def name(self) -> str:
        return "action_check_emergency"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        say(dispatcher, "check_emergency")
        return []


def hand_to_person(
    dispatcher: CollectingDispatcher, tracker: Tracker, reply: str = "handoff_human"
) -> list[EventType]:
    """Hands the patient to the care team (the gateway opens the case), with the reason an
    earlier answer left pending, if any."""
    pending = tracker.get_slot("handoff_reason")
    reason = pending if pending in PENDING_REASONS else "human_request"
    say(dispatcher, reply)
    dispatcher.utter_message(json_message=handoff_payload(tracker, reason=reason))
    return [SlotSet("handoff_reason", None)]


class ActionRequestHuman(Action):
    """Hands the patient to the care team (the gateway opens the case)."""

    def name(self) -> str:
        return "action_request_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        return hand_to_person(dispatcher, tracker)
