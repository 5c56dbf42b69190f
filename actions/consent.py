"""Telehealth consent, clause by clause, as a form over consent_1 … consent_5.

Every decision is sent to the gateway as a `consent_decision` payload (the gateway stores
it with the time and the Telegram message it answered); the action server keeps nothing.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.content import Clause, clause_by_slot, consent_clauses
from actions.digressions import answer_digression, misunderstood
from actions.forms_common import (
    INTERRUPT_INTENTS,
    entity_values,
    intent_confidence,
    latest_intent,
)
from actions.handoff import handoff_payload
from actions.replies import say

DECISIONS = {"affirm": "agreed", "deny": "refused"}
# How sure the NLU must be of a typed yes or no for it to count; buttons are certain (1.0).
DECISION_CONFIDENCE = 0.8


def decision_payload(clause: Clause, decision: str) -> dict[str, Any]:
    return {
        "type": "consent_decision",
        "clause_id": clause.id,
        "version": clause.version,
        "text_sha256": clause.text_sha256,
        "decision": decision,
    }


def topic_clause(text: str, current: Clause) -> Clause:
    """The clause whose topic a mid-consent question is about; the current one by default."""
    if any(pattern.search(text) for pattern in current.topics):
        return current
    return next((c for c in consent_clauses() if any(p.search(text) for p in c.topics)), current)


def show_clause(dispatcher: CollectingDispatcher, clause: Clause) -> None:
    say(
        dispatcher,
        "consent_clause",
        number=str(clause.number),
        total=str(len(consent_clauses())),
        clause_text=clause.text,
    )


class ValidateConsentForm(FormValidationAction):
    """Turns the patient's answer into a decision on the clause currently asked.

    An answer without a clause number applies to the clause asked; a button of another
    clause changes nothing. Anything that is not a yes or a no (a question, small talk,
    an unclear message) is answered and the same clause is asked again: it is never
    taken for a yes. Emergencies and requests for a person are left to the rules.
    """

    def name(self) -> str:
        return "validate_consent_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        clause = clause_by_slot(tracker.get_slot("requested_slot"))
        intent = latest_intent(tracker)
        if clause is None or intent in INTERRUPT_INTENTS:
            return []
        # Setting the asked slot to None keeps the form from rejecting the message, so
        # it asks the same clause again.
        ask_again: list[EventType] = [SlotSet(clause.slot, None)]
        answered = answer_digression(dispatcher, tracker, domain)
        if answered is not None:
            return [*ask_again, *answered]
        if intent == "ask_consent_question":
            text = str(tracker.latest_message.get("text") or "")
            answer = topic_clause(text, clause)
            say(dispatcher, "consent_explanation", explanation=answer.explanation)
            return ask_again
        if intent not in DECISIONS or intent_confidence(tracker) < DECISION_CONFIDENCE:
            # Not a yes or no, or one the model is unsure of (gibberish often reads as
            # affirm): no consent either way.
            return [
                *ask_again,
                *misunderstood(dispatcher, tracker, "consent_please_choose", "offer_person"),
            ]
        numbers = entity_values(tracker, "clause")
        if numbers and numbers[-1] != str(clause.number):
            say(dispatcher, "consent_stale_button")
            return ask_again
        decision = DECISIONS[intent]
        dispatcher.utter_message(json_message=decision_payload(clause, decision))
        if decision == "refused":
            # Ends the form early; action_consent_finish explains what this means.
            return [SlotSet(clause.slot, False), SlotSet("requested_slot", None)]
        return [SlotSet(clause.slot, True)]


class _AskClause(Action, ABC):
    """Shows one clause, rendered from content/consent.yml, with agree / do not agree."""

    # Abstract, so the action server registers only the concrete subclasses.
    @property
    @abstractmethod
    def number(self) -> int: ...

    def name(self) -> str:
        return f"action_ask_consent_{self.number}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        clause = clause_by_slot(f"consent_{self.number}")
        if clause is None:
            raise LookupError(f"content/consent.yml has no clause number {self.number}")
        show_clause(dispatcher, clause)
        return []


class ActionAskConsent1(_AskClause):
    number = 1


class ActionAskConsent2(_AskClause):
    number = 2


class ActionAskConsent3(_AskClause):
    number = 3


class ActionAskConsent4(_AskClause):
    number = 4


class ActionAskConsent5(_AskClause):
    number = 5


def refused_clause(tracker: Tracker) -> Clause | None:
    return next((c for c in consent_clauses() if tracker.get_slot(c.slot) is False), None)


class ActionConsentFinish(Action):
    """After the consent form: the refusal explained, or the completion and the handoff."""

    def name(self) -> str:
        return "action_consent_finish"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        # The decisions are stored by the gateway; clearing the slots lets the patient
        # go through consent again later (e.g. after changing their mind).
        reset: list[EventType] = [SlotSet(c.slot, None) for c in consent_clauses()]
        refused = refused_clause(tracker)
        if refused is not None:
            say(dispatcher, "consent_refused", number=str(refused.number))
            return [*reset, SlotSet("handoff_reason", "consent_refused")]
        if not all(tracker.get_slot(c.slot) is True for c in consent_clauses()):
            # Form ended without a full set of answers (should not happen): ask again later.
            dispatcher.utter_message(response="utter_what_next")
            return reset
        dispatcher.utter_message(json_message={"type": "consent_completed"})
        dispatcher.utter_message(json_message=handoff_payload(tracker, reason="second_opinion"))
        say(dispatcher, "consent_completed")
        return [*reset, SlotSet("handoff_reason", None)]
