"""The second-opinion check: a form over the four criteria of content/criteria.yml."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.consent_state import intro_key, stored_agreements
from actions.content import criteria, criterion_ids
from actions.digressions import answer_digression, misunderstood
from actions.forms_common import INTERRUPT_INTENTS, join_summaries, latest_intent
from actions.handoff import criteria_met
from actions.replies import say
from actions.wording import criterion_said

_NO_ANSWER = object()
CRITERIA_EXTRACTOR = "CriteriaExtractor"
# The criteria reader's entities: one met, one the patient said does not hold.
_KINDS = frozenset({"criterion", "criterion_denied"})


@dataclass(frozen=True)
class Said:
    """A criterion the patient stated in their own words, met or denied."""

    criterion: str
    met: bool
    words: str  # the patient's own words for it
    said: str  # what the assistant says back ("the doctors have told you different things")


def criteria_said(tracker: Tracker) -> list[Said]:
    """The criteria the latest message meets or denies (the NLU's criteria reader); when
    the check starts, also those the patient told before it in this session ("the tablets
    don't help", then *Second opinion*): what was said is not asked."""
    if latest_intent(tracker) in INTERRUPT_INTENTS:
        return []
    starting = tracker.get_slot("requested_slot") is None
    messages = _earlier_messages(tracker) if starting else []
    messages.append(tracker.latest_message)
    said: dict[str, Said] = {}
    for message in messages:
        for found in _said_in(message):
            said[found.criterion] = found  # the latest word on each criterion stands
    return list(said.values())


def _said_in(message: dict[str, Any]) -> list[Said]:
    text = str(message.get("text") or "")
    if text.startswith("/"):
        return []
    found: list[Said] = []
    for entity in message.get("entities") or []:
        kind = entity.get("entity")
        if entity.get("extractor") != CRITERIA_EXTRACTOR or kind not in _KINDS:
            continue
        start, end = entity.get("start"), entity.get("end")
        words = text[start:end] if isinstance(start, int) and isinstance(end, int) else ""
        found.append(
            Said(str(entity["value"]), kind == "criterion", words, str(entity.get("said") or ""))
        )
    return found


def _earlier_messages(tracker: Tracker) -> list[dict[str, Any]]:
    """What the patient wrote in this session before the latest message, oldest first."""
    earlier: list[dict[str, Any]] = []
    for event in tracker.events:
        if event.get("event") == "session_started":
            earlier = []
        elif event.get("event") == "user":
            earlier.append(dict(event.get("parse_data") or {}, text=event.get("text")))
    return earlier[:-1]


def criteria_update(tracker: Tracker) -> dict[str, bool | None]:
    """Criterion slots the latest message fills.

    Free text may meet or deny several criteria at once; a yes or no answers the
    criterion being asked, where the words did not. A message that answers nothing maps
    the asked criterion to None, which keeps the form running (it asks the same question
    again) instead of rejecting it.
    """
    intent = latest_intent(tracker)
    if intent in INTERRUPT_INTENTS:
        return {}
    update: dict[str, bool | None] = {s.criterion: s.met for s in criteria_said(tracker)}
    requested = tracker.get_slot("requested_slot")
    if requested in criterion_ids():
        if intent == "affirm":
            update.setdefault(requested, True)
        elif intent == "deny":
            update.setdefault(requested, False)
        elif not update:
            update[requested] = None
    return update


def said_back(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """Say back what the message stated that was not known yet; keep the patient's words
    for the staff (slot `criteria_words`)."""
    said = criteria_said(tracker)
    met = [s for s in said if s.met and tracker.get_slot(s.criterion) is not True]
    denied = [s for s in said if not s.met and tracker.get_slot(s.criterion) is None]
    for group, key in ((met, "criteria_said_met"), (denied, "criteria_said_denied")):
        if group:
            phrases = join_summaries([criterion_said(s.said) for s in group])
            say(
                dispatcher,
                f"{key}_{'one' if len(group) == 1 else 'many'}",
                said=phrases,
                count=str(len(group)),
            )
    if not met:
        return []
    words = dict(tracker.get_slot("criteria_words") or {})
    words.update({s.criterion: s.words for s in met})
    return [SlotSet("criteria_words", words)]


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
                # Answered; criteria the same message stated are kept (and said back), and
                # the asked criterion, if still unknown, is asked again.
                stated = {
                    criterion: value
                    for criterion, value in criteria_update(tracker).items()
                    if value is not None
                }
                again = [] if requested in stated else [SlotSet(requested, None)]
                return [
                    *said_back(dispatcher, tracker),
                    *(SlotSet(criterion, value) for criterion, value in stated.items()),
                    *again,
                    *answered,
                ]
        if requested is None:
            say(dispatcher, "second_opinion_intro")
        events: list[EventType] = said_back(dispatcher, tracker)
        update = criteria_update(tracker)
        if requested in update and update[requested] is None:
            events += misunderstood(dispatcher, tracker, "please_answer_yes_no", "offer_person")
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
