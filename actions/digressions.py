"""Questions asked in passing, answered wherever they come (inside the forms too), and
misunderstandings counted so the second one in a row offers a person."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.forms_common import entity_values, latest_intent
from actions.procedure_actions import answer_procedure_question
from actions.replies import say
from actions.safety import hand_to_person
from actions.specialist import answer_specialist

PRACTICAL_TOPICS = frozenset({"cost", "recovery", "provider", "travel", "reports"})
# Intents answered by a domain response; inside a form only its text is sent, since its
# buttons lead out of the form.
_RESPONSE_OF = {
    "ask_difference": "utter_difference",
    "ask_certification": "utter_certification",
    "help": "utter_help",
}


def answer_practical(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """ "I can't quote that here" for cost, recovery, a hospital or doctor, travel or
    reports, with the offer of a person."""
    topic = next((t for t in entity_values(tracker, "topic") if t in PRACTICAL_TOPICS), "other")
    say(dispatcher, f"practical_{topic}")


def answer_digression(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
) -> list[EventType] | None:
    """Answer a question asked in the middle of a form; None when the message is none."""
    intent = latest_intent(tracker)
    if intent == "request_human":
        # The case opens now; the patient may go on with the form while they wait.
        return hand_to_person(dispatcher, tracker, reply="handoff_human_in_form")
    if intent in ("ask_procedure_category", "inform_purpose"):
        return answer_procedure_question(dispatcher, tracker, buttons=False)
    if intent == "ask_dermatology":
        return answer_specialist(dispatcher, tracker, buttons=False)
    if intent in _RESPONSE_OF:
        responses = domain.get("responses", {}).get(_RESPONSE_OF[intent]) or [{}]
        dispatcher.utter_message(text=str(responses[0].get("text") or ""))
        return []
    if intent == "ask_practical":
        answer_practical(dispatcher, tracker)
        return []
    if intent == "feel_unwell":
        say(dispatcher, "check_emergency")
        return []
    if intent == "not_urgent":
        say(dispatcher, "not_urgent_in_form")
        return []
    return None


def user_turns(tracker: Tracker) -> int:
    return sum(1 for event in tracker.events if event.get("event") == "user")


def misunderstood(
    dispatcher: CollectingDispatcher, tracker: Tracker, reply: str, second_reply: str
) -> list[EventType]:
    """Say `reply`; when the previous message was misunderstood too, `second_reply` (which
    offers a person) instead of repeating it."""
    turn = user_turns(tracker)
    previous = tracker.get_slot("misunderstood_turn")
    in_a_row = previous is not None and int(previous) == turn - 1
    say(dispatcher, second_reply if in_a_row else reply)
    return [SlotSet("misunderstood_turn", float(turn))]


class ActionAnswerPractical(Action):
    """`ask_practical`: what the assistant can't quote here, and the offer of a person."""

    def name(self) -> str:
        return "action_answer_practical"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        answer_practical(dispatcher, tracker)
        return []


class ActionFallback(Action):
    """The NLU did not understand: the options, or after a second miss in a row a person."""

    def name(self) -> str:
        return "action_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        return misunderstood(dispatcher, tracker, "fallback", "fallback_offer_person")
