"""The second-opinion check: a form over the four criteria of content/criteria.yml."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.consent_state import intro_key, stored_agreements
from actions.content import criteria, criterion_ids
from actions.digressions import answer_digression, misunderstood
from actions.forms_common import INTERRUPT_INTENTS, entity_values, join_summaries, latest_intent
from actions.handoff import criteria_met
from actions.replies import say

_NO_ANSWER = object()


def mentioned_criteria(tracker: Tracker) -> list[str]:
    """Criteria the latest message describes: NLU `criterion` entities, then keywords."""
    text = str(tracker.latest_message.get("text") or "")
    if text.startswith("/"):
        return []
    tagged = set(entity_values(tracker, "criterion"))
    return [
        criterion.id
        for criterion in criteria()
        if criterion.id in tagged or criterion.mentioned_in(text)
    ]


def criteria_update(tracker: Tracker) -> dict[str, bool | None]:
    """Criterion slots the latest message fills.

    A yes or no answers the criterion being asked; free text may fill several at once.
    A message that answers nothing maps the asked criterion to None, which keeps the
    form running (it asks the same question again) instead of rejecting it.
    """
    intent = latest_intent(tracker)
    if intent in INTERRUPT_INTENTS:
        return {}
    update: dict[str, bool | None] = dict.fromkeys(mentioned_criteria(tracker), True)
    requested = tracker.get_slot("requested_slot")
    if requested in criterion_ids():
        if intent == "affirm":
            update[requested] = True
        elif intent == "deny":
            update[requested] = False
        elif not update:
            update[requested] = None
    return update


class ValidateSecondOpinionForm(FormValidationAction):
    """Fills the criteria from yes/no answers and from free text (entities and keywords)."""

    def name(self) -> str:
        return "validate_second_opinion_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        requested = tracker.get_slot("requested_slot")
        if requested is not None:
            answered = answer_digression(dispatcher, tracker, domain)
            if answered is not None:
                # Answered; setting the asked criterion to None asks it again.
                return [SlotSet(requested, None), *answered]
        update = criteria_update(tracker)
        newly_met = [
            criterion.summary
            for criterion in criteria()
            if update.get(criterion.id) is True
            and criterion.id != requested
            and tracker.get_slot(criterion.id) is not True
        ]
        if requested is None:
            say(dispatcher, "second_opinion_intro")
        if newly_met:
            say(dispatcher, "criteria_noted", summaries=join_summaries(newly_met))
        events: list[EventType] = []
        if requested in update and update[requested] is None:
            events = misunderstood(dispatcher, tracker, "please_answer_yes_no", "offer_person")
        return [*events, *await super().run(dispatcher, tracker, domain)]

    def _extract(self, criterion: str, tracker: Tracker) -> dict[str, Any]:
        value = criteria_update(tracker).get(criterion, _NO_ANSWER)
        return {} if value is _NO_ANSWER else {criterion: value}

    def extract_unclear_diagnosis(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        return self._extract("unclear_diagnosis", tracker)

    def extract_not_responding(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        return self._extract("not_responding", tracker)

    def extract_doctor_warned(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        return self._extract("doctor_warned", tracker)

    def extract_lost_confidence(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        return self._extract("lost_confidence", tracker)

    # Values are already validated by extraction; these accept them as they are (and
    # keep the SDK from warning about missing validators).
    def validate_unclear_diagnosis(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Any
    ) -> dict[str, Any]:
        return {"unclear_diagnosis": value}

    def validate_not_responding(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Any
    ) -> dict[str, Any]:
        return {"not_responding": value}

    def validate_doctor_warned(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Any
    ) -> dict[str, Any]:
        return {"doctor_warned": value}

    def validate_lost_confidence(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Any
    ) -> dict[str, Any]:
        return {"lost_confidence": value}


class _AskCriterion(Action, ABC):
    """Asks one criterion's question (from content/criteria.yml) with yes/no buttons."""

    # Abstract, so the action server registers only the concrete subclasses.
    @property
    @abstractmethod
    def criterion_id(self) -> str: ...

    def name(self) -> str:
        return f"action_ask_{self.criterion_id}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        criterion = next(item for item in criteria() if item.id == self.criterion_id)
        say(dispatcher, "criterion_question", question=criterion.question)
        return []


class ActionAskUnclearDiagnosis(_AskCriterion):
    criterion_id = "unclear_diagnosis"


class ActionAskNotResponding(_AskCriterion):
    criterion_id = "not_responding"


class ActionAskDoctorWarned(_AskCriterion):
    criterion_id = "doctor_warned"


class ActionAskLostConfidence(_AskCriterion):
    criterion_id = "lost_confidence"


class ActionSecondOpinionResult(Action):
    """Tells the patient which criteria apply, then leads to consent (or honestly: none)."""

    def name(self) -> str:
        return "action_second_opinion_result"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        met = set(criteria_met(tracker))
        summaries = [criterion.summary for criterion in criteria() if criterion.id in met]
        if not summaries:
            say(dispatcher, "criteria_none")
            return []
        say(
            dispatcher,
            "criteria_met",
            count=str(len(summaries)),
            summaries=join_summaries(summaries),
        )
        key, values = intro_key(stored_agreements(tracker))
        say(dispatcher, key, **values)
        return []
