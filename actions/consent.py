"""Telehealth consent, clause by clause, as a form over consent_1 … consent_5.

Every decision is sent to the gateway as a `consent_decision` payload (the gateway stores
it with the time and the Telegram message it answered); the action server keeps nothing.
What is already agreed comes from the gateway with each message (actions/consent_state.py):
the form asks only the clauses not agreed at their current version, and a clause agreed
earlier in this form but withdrawn since (/withdraw) is asked again.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.consent_state import changed_since_agreed, in_force, stored_agreements
from actions.content import Clause, clause_by_slot, consent_clauses
from actions.digressions import answer_digression, misunderstood
from actions.forms_common import (
    INTERRUPT_INTENTS,
    entity_values,
    intent_confidence,
    latest_intent,
)
from actions.handoff import handoff_payload
from actions.replies import render, say
from translation import DEFAULT_LANGUAGE

DECISIONS = {"affirm": "agreed", "deny": "refused"}
# How sure the NLU must be of a typed yes or no for it to count; buttons are certain (1.0).
DECISION_CONFIDENCE = 0.8


def decision_payload(clause: Clause, decision: str) -> dict[str, Any]:
    return {
        "type": "consent_decision",
        "clause_id": clause.id,
        "version": clause.version,
        "text_sha256": clause.text_sha256,
        "language": clause.language,
        "decision": decision,
    }


def topic_clause(text: str, current: Clause) -> Clause:
    """The clause whose topic a mid-consent question is about; the current one by default."""
    if any(pattern.search(text) for pattern in current.topics):
        return current
    return next((c for c in consent_clauses() if any(p.search(text) for p in c.topics)), current)


def show_clause(
    dispatcher: CollectingDispatcher, clause: Clause, agreed_version: int | None = None
) -> None:
    """The clause verbatim; one agreed at an earlier version says it is new wording."""
    values = {
        "number": str(clause.number),
        "total": str(len(consent_clauses())),
        "clause_text": clause.text,
    }
    key = "consent_clause"
    if agreed_version is not None:
        values |= {"version": str(clause.version), "old_version": str(agreed_version)}
        key = "consent_clause_changed"
    text, buttons = render(key, **values)
    if clause.language != DEFAULT_LANGUAGE:
        # A translation is the project's until reviewed: the client's original is a tap away.
        buttons += render("consent_english_button", number=str(clause.number))[1]
    dispatcher.utter_message(text=text, buttons=buttons)


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
        if intent in INTERRUPT_INTENTS:
            return []
        stored = stored_agreements(tracker)
        if clause is None:
            # The form starts: the clauses agreed at their current version count as answered.
            return _follow_stored(tracker, stored, [])
        events = self._answer(dispatcher, tracker, domain, clause)
        if any(isinstance(e, dict) and e.get("name") == "requested_slot" for e in events):
            return events  # refused: the form ends here
        decided = any(e.get("name") == clause.slot and e.get("value") is True for e in events)
        return _follow_stored(tracker, stored, events, ask=None if decided else clause)

    def _answer(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        clause: Clause,
    ) -> list[EventType]:
        """The decision on the clause asked, or what to say instead and ask it again."""
        intent = latest_intent(tracker)
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


def _follow_stored(
    tracker: Tracker,
    stored: dict[str, int] | None,
    events: list[EventType],
    ask: Clause | None = None,
) -> list[EventType]:
    """Bring the slots in line with the stored records and name the next clause to ask.

    A clause agreed at its current version is answered (True); one agreed earlier in this
    form but no longer in force (withdrawn meanwhile) is asked again. The clause decided
    in this very turn is not stored yet and stays as decided. `ask` keeps the same clause
    asked (after a question or an unclear answer). Without stored state (no metadata) the
    slots are left to the form, as before.
    """
    if stored is None:
        return events
    slots = {clause.slot: tracker.get_slot(clause.slot) for clause in consent_clauses()}
    for event in events:
        if event.get("event") == "slot" and event.get("name") in slots:
            slots[event["name"]] = event.get("value")
    decided_now = {
        event.get("name")
        for event in events
        if event.get("event") == "slot" and event.get("value") is not None
    }
    extra: list[EventType] = []
    for clause in consent_clauses():
        wanted = slots[clause.slot]
        if in_force(clause, stored):
            wanted = True
        elif slots[clause.slot] is True and clause.slot not in decided_now:
            wanted = None
        if wanted != slots[clause.slot]:
            extra.append(SlotSet(clause.slot, wanted))
            slots[clause.slot] = wanted
    if ask is None or slots[ask.slot] is not None:
        ask = next((c for c in consent_clauses() if slots[c.slot] is None), None)
    return [*events, *extra, SlotSet("requested_slot", ask.slot if ask else None)]


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
        stored = stored_agreements(tracker)
        changed = stored is not None and changed_since_agreed(clause, stored)
        show_clause(dispatcher, clause, stored[clause.id] if stored and changed else None)
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
        stored = stored_agreements(tracker)
        if stored is not None and all(in_force(c, stored) for c in consent_clauses()):
            # Everything was in force before this form asked anything: no new record, so
            # no new receipt; the case goes on.
            dispatcher.utter_message(json_message=handoff_payload(tracker, reason="second_opinion"))
            say(dispatcher, "consent_already_given")
            return [*reset, SlotSet("handoff_reason", None)]
        dispatcher.utter_message(json_message={"type": "consent_completed"})
        dispatcher.utter_message(json_message=handoff_payload(tracker, reason="second_opinion"))
        say(dispatcher, "consent_completed")
        return [*reset, SlotSet("handoff_reason", None)]
