"""Always-available paths: emergency red flags and a request for a person."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import handoff_payload
from actions.replies import say

# Reasons an earlier answer left pending for the case opened when the patient asks for
# a person (e.g. after "I don't know that procedure" or a consent refusal).
PENDING_REASONS = frozenset({"unknown_procedure", "consent_refused"})


class ActionEmergency(Action):
    """Emergency guidance at once, and an urgent case for the staff."""

    def name(self) -> str:
        return "action_emergency"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        say(dispatcher, "emergency")
        dispatcher.utter_message(
            json_message=handoff_payload(tracker, reason="emergency", urgency="urgent")
        )
        return []


class ActionRequestHuman(Action):
    """Hands the patient to the care team (the gateway opens the case)."""

    def name(self) -> str:
        return "action_request_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        pending = tracker.get_slot("handoff_reason")
        reason = pending if pending in PENDING_REASONS else "human_request"
        say(dispatcher, "handoff_human")
        dispatcher.utter_message(json_message=handoff_payload(tracker, reason=reason))
        return [SlotSet("handoff_reason", None)]
