"""Rasa graph components (config.yml) that put the deterministic readings into the pipeline.

- `ProcedureCatalogExtractor` tags every catalog procedure a message names as a
  `procedure` entity (the procedure id), in place of DIET's overlapping guesses.
- The description and criteria readings are tagged by `understanding/readers.py`.
- `TriageIntentArbiter`, last in the pipeline, settles the intent:
  1. a red flag of the lexicon makes it `emergency` (with a `red_flag` entity naming the
     kind), whatever DIET said; nothing read after it lowers or replaces one;
  2. DIET's own `emergency` is set aside where the lexicon read the symptoms as calm
     (negated, long past, hypothetical, humour), where a procedure is named or described
     or a category asked; otherwise it becomes `feel_unwell` (the assistant asks "Is this
     happening right now?"), unless `emergency_confidence` is set and reached (it is
     not set: DIET alone never raises an emergency, see config.yml);
  3. "a dermatologist or a plastic surgeon?" (content/cues.yml `specialist`) is
     `ask_dermatology`, answered with the specialist answer, even when a procedure is named;
  4. a common question the assistant cannot answer (cost, recovery, which hospital or
     doctor, travel, sending reports) becomes `ask_practical` with a `topic` entity;
  5. a message naming a catalog procedure is a procedure question, unless DIET read it
     as a second opinion, a person or a situation and the message's own words confirm
     that (content/cues.yml, the criteria reader);
  6. a description (a body part, a cause, a procedure it points to) is a procedure
     question where DIET read nothing more specific, or where it asks the category;
  7. the second-opinion criteria said in the patient's words make a situation
     (`inform_criteria`) where DIET read nothing more specific.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from understanding.base import (
    FALLBACK_INTENT,
    ContentComponent,
    add_entity,
    current_intent,
    entities_from,
    entity,
    is_payload,
    model_reading,
    set_intent,
)
from understanding.catalog import catalog_matcher
from understanding.cues import cues
from understanding.readers import CATALOG_EXTRACTOR, CRITERIA_EXTRACTOR, DESCRIPTION_EXTRACTOR
from understanding.red_flags import red_flag_lexicon
from understanding.text import tokenize

# Intents a practical question (cost, recovery...) overrides: never a consent question
# (clause 4 is about fees), a person, or a situation for the second-opinion check.
_PRACTICAL_OVERRIDES = frozenset(
    {
        FALLBACK_INTENT,
        "out_of_scope",
        "ask_practical",
        "feel_unwell",
        "ask_procedure_category",
        "inform_purpose",
        "ask_dermatology",
        "ask_difference",
        "greet",
        "help",
        "emergency",
        "affirm",
        "deny",
        "request_second_opinion",
    }
)
# DIET's readings a description is more specific than: "my ears stick out" is no
# greeting, no general question and no skin question.
_VAGUER_THAN_A_DESCRIPTION = frozenset(
    {
        FALLBACK_INTENT,
        "out_of_scope",
        "ask_difference",
        "ask_dermatology",
        "ask_certification",
        "ask_consent_question",
        "feel_unwell",
        "inform_purpose",
        "greet",
        "help",
        "thank",
        "goodbye",
    }
)
# DIET's readings the criteria said in the patient's words are more specific than.
_VAGUER_THAN_A_SITUATION = _VAGUER_THAN_A_DESCRIPTION | {
    "ask_procedure_category",
    "ask_practical",  # DIET's guess only: a practical question's own cue decides first
    "not_urgent",
}
# A body part or a procedure a description points to makes a procedure question; a cause
# alone, only where no situation for the second-opinion check is told with it or where
# the message asks plastic or cosmetic by name; a
# `purpose` alone ("I want to look younger") asks which part, but stays a purpose where
# DIET read one; `description` says only that something is wrong.
_UNCLEAR = "description"

# Answers to a question the assistant asked, kept beside a description ("no, my nose was
# broken"): the forms read them. (After "Is this happening right now?", "no, it's my old
# burn scar" is answered as the procedure question it also is.)
_ANSWERS = frozenset({"affirm", "deny"})
# DIET's readings of a situation for the second-opinion check, kept where criteria are told.
_SITUATIONS = frozenset({"inform_criteria", "request_second_opinion"})
# Questions of their own that may name a procedure ("pimple marks, cream or laser?").
_OWN_QUESTIONS = frozenset({"ask_dermatology", "ask_certification"})
# "skin rejuvenation karwana?": a name and a word or two is a question about the name.
_TERSE_WORDS = 2
# Sending reports to a doctor, or naming one, is how a second opinion is asked for.
_SECOND_OPINION_TOPICS = frozenset({"reports", "provider"})


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class ProcedureCatalogExtractor(ContentComponent, EntityExtractorMixin):
    """Tags the procedures of content/procedures.yml that a message names."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"catalog": None}

    def __init__(self, config: dict[str, Any]) -> None:
        path = config.get("catalog")
        self._matcher = catalog_matcher(Path(path) if path else None)

    def process(self, messages: list[Message]) -> list[Message]:
        """Add the catalog's `procedure` entities; drop DIET's that overlap them."""
        for message in messages:
            text = message.get(TEXT)
            if is_payload(text):
                continue
            matches = self._matcher.find(text)
            if not matches:
                continue
            found = [
                {
                    **entity(
                        "procedure", match.procedure_id, match.start, match.end, CATALOG_EXTRACTOR
                    ),
                    "confidence_entity": 1.0 if match.exact else 0.9,
                }
                for match in matches
            ]
            others = [
                entity
                for entity in message.get(ENTITIES, [])
                if entity.get(ENTITY_ATTRIBUTE_TYPE) != "procedure"
                or not any(_overlap(entity, mine) for mine in found)
            ]
            message.set(ENTITIES, found + others, add_to_output=True)
        return messages


def _overlap(one: dict[str, Any], other: dict[str, Any]) -> bool:
    return one.get(ENTITY_ATTRIBUTE_START, 0) < other[ENTITY_ATTRIBUTE_END] and other[
        ENTITY_ATTRIBUTE_START
    ] < one.get(ENTITY_ATTRIBUTE_END, 0)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class TriageIntentArbiter(ContentComponent):
    """Settles the intent from red flags, cues, procedures, descriptions and criteria (see
    module)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"emergency_confidence": None, "red_flags": None, "cues": None}

    def __init__(self, config: dict[str, Any]) -> None:
        threshold = config.get("emergency_confidence")
        self._emergency_confidence = None if threshold is None else float(threshold)
        red_flags_path, cues_path = config.get("red_flags"), config.get("cues")
        self._lexicon = red_flag_lexicon(*([Path(red_flags_path)] if red_flags_path else []))
        self._cues = cues(*([Path(cues_path)] if cues_path else []))

    def process(self, messages: list[Message]) -> list[Message]:
        """Settle each message's intent (payloads are left as Rasa parsed them)."""
        for message in messages:
            text = message.get(TEXT)
            if not is_payload(text):
                self._settle(message, text)
        return messages

    def _settle(self, message: Message, text: str) -> None:
        reading = self._lexicon.read(text)
        if reading.flag is not None:
            set_intent(message, "emergency", 1.0)
            add_entity(message, _whole("red_flag", reading.flag.kind, text))
            return
        names_procedure = bool(entities_from(message, CATALOG_EXTRACTOR, "procedure"))
        read = {e.get(ENTITY_ATTRIBUTE_TYPE) for e in entities_from(message, DESCRIPTION_EXTRACTOR)}
        meets = bool(entities_from(message, CRITERIA_EXTRACTOR, "criterion"))
        # A cause alone beside a situation told ("nobody knows what this illness is") is
        # the situation's, not a question about plastic surgery.
        describes = bool(read & {"procedure", "body_part"}) or (
            "cause" in read and (not meets or self._cues.names_a_category(text))
        )
        asks_category = self._cues.asks_category(text)
        model_intent, model_confidence = model_reading(message)
        if model_intent == "emergency":
            if reading.calm or not reading.mentions or names_procedure or asks_category:
                # DIET's guess goes against what the lexicon and the catalog read (calm
                # symptoms, no symptom at all, a procedure): its next reading stands.
                set_intent(message, *model_reading(message, skip="emergency"))
            elif self._raises_alone(model_confidence):
                set_intent(message, "emergency", model_confidence)
                return
            else:
                set_intent(message, "feel_unwell", model_confidence)
                return
        elif model_intent == "feel_unwell" and (
            reading.calm or names_procedure or (describes and not reading.mentions)
        ):
            # "No bleeding now, just a small scar", "my old burn scar is tight": nothing to
            # ask about. A symptom beside a description still gets the question.
            set_intent(message, *model_reading(message, skip="feel_unwell"))
        if self._cues.asks_specialist(text):
            set_intent(message, "ask_dermatology", 1.0)
            return
        current = current_intent(message)
        topic = self._cues.practical_topic(text)
        if (
            topic
            and not asks_category
            and current in _PRACTICAL_OVERRIDES
            and not (current == "request_second_opinion" and topic in _SECOND_OPINION_TOPICS)
            # "they only want money": a situation told, where DIET read no question
            and not (meets and current != "ask_practical")
        ):
            set_intent(message, "ask_practical", 1.0)
            add_entity(message, _whole("topic", topic, text))
            return
        if names_procedure:
            if not self._carries_procedure(current, text, message, meets):
                set_intent(message, "ask_procedure_category", 1.0)
        elif meets and not asks_category and current in _VAGUER_THAN_A_SITUATION:
            # A situation told ("the doctors can't agree what this rash is") is the
            # second-opinion check's, even beside a body part or a skin word.
            set_intent(message, "inform_criteria", 1.0)
        elif describes:
            # A description is a procedure question, as a name is, unless DIET's reading is
            # confirmed by the message's own words, answers a question (yes, no), or asks
            # whether a symptom beside it is happening now.
            keeps = (
                current in _ANSWERS
                or (current == "feel_unwell" and reading.mentions)
                or (current in _SITUATIONS and meets and not asks_category)
                # "for looks", "it got broken": a purpose for the procedure asked before,
                # which the purpose answer applies (or reads the description itself).
                or current == "inform_purpose"
                # A skin question (skin or face, or no part, and no operation pointed to)
                # without a cause keeps the dermatologist's answer; with one ("my old burn
                # is tight") it never gets it first, nor a wish for dimples or a body shape.
                or (
                    current == "ask_dermatology"
                    and "cause" not in read
                    and not asks_category
                    and all(
                        part.get("dermatology")
                        for part in entities_from(message, DESCRIPTION_EXTRACTOR, "body_part")
                    )
                    and not any(
                        found.get("surgical")
                        for found in entities_from(message, DESCRIPTION_EXTRACTOR, "procedure")
                    )
                )
                or (
                    current not in _OWN_QUESTIONS
                    and self._carries_procedure(current, text, message, False)
                )
            )
            if not keeps:
                set_intent(message, "ask_procedure_category", 1.0)
        elif meets and current in _VAGUER_THAN_A_SITUATION:
            set_intent(message, "inform_criteria", 1.0)
        elif (
            (
                _UNCLEAR in read
                or ("purpose" in read and current != "inform_purpose")
                or (asks_category and self._cues.asks_about_own_case(text))
            )
            and current in _VAGUER_THAN_A_DESCRIPTION
            and current != "feel_unwell"
        ):
            # "Is my problem cosmetic?", "something is wrong with me": a question back,
            # never the general explanation. Feeling unwell keeps its safety question.
            set_intent(message, "ask_procedure_category", 1.0)

    def _raises_alone(self, confidence: float) -> bool:
        threshold = self._emergency_confidence
        return threshold is not None and confidence >= threshold

    def _carries_procedure(self, intent: str, text: str, message: Message, meets: bool) -> bool:
        """Whether DIET's reading stands although the message names a procedure: a
        procedure question already, a reading its own cue confirms, or a skin or
        qualification question that says more than the procedure's name."""
        if intent == "ask_procedure_category":
            return True
        if intent in _OWN_QUESTIONS:
            return (
                not self._cues.asks_category(text)
                and _words_beside_procedures(message, text) > _TERSE_WORDS
            )
        if intent == "request_second_opinion":
            return self._cues.asks_second_opinion(text)
        if intent == "request_human":
            return self._cues.asks_person(text)
        if intent == "inform_criteria":
            return meets
        return False


def _words_beside_procedures(message: Message, text: str) -> int:
    """How many words the message has outside the catalog procedures it names."""
    spans = [
        (e[ENTITY_ATTRIBUTE_START], e[ENTITY_ATTRIBUTE_END])
        for e in message.get(ENTITIES, [])
        if e.get("extractor") == CATALOG_EXTRACTOR
    ]
    return sum(
        1 for token in tokenize(text) if not any(start <= token.start < end for start, end in spans)
    )


def _whole(kind: str, value: str, text: str) -> dict[str, Any]:
    """An entity over the whole message (a red flag, a practical topic)."""
    return entity(kind, value, 0, len(text), TriageIntentArbiter.__name__)
