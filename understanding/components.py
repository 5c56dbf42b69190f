"""Rasa graph components (config.yml) that put the deterministic readings into the pipeline.

- `ProcedureCatalogExtractor` tags every catalog procedure a message names as a
  `procedure` entity (the procedure id), in place of DIET's overlapping guesses.
- `TriageIntentArbiter`, last in the pipeline, settles the intent:
  1. a red flag of the lexicon makes it `emergency` (with a `red_flag` entity naming the
     kind), whatever DIET said;
  2. DIET's own `emergency` is set aside where the lexicon read the symptoms as calm
     (negated, long past, hypothetical, humour), where a procedure is named or a
     category asked; otherwise it becomes `feel_unwell` (the assistant asks "Is this
     happening right now?"), unless `emergency_confidence` is set and reached (it is
     not set: DIET alone never raises an emergency, see config.yml);
  3. a common question the assistant cannot answer (cost, recovery, which hospital or
     doctor, travel, sending reports) becomes `ask_practical` with a `topic` entity;
  4. a message naming a catalog procedure is a procedure question, unless DIET read it
     as a second opinion, a person or a situation and the message's own words confirm
     that (content/cues.yml, content/criteria.yml).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_CONFIDENCE,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    INTENT,
    INTENT_NAME_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from typing_extensions import Self

from actions.content import criteria
from understanding.catalog import catalog_matcher
from understanding.cues import cues
from understanding.red_flags import red_flag_lexicon
from understanding.text import tokenize

INTENT_RANKING = "intent_ranking"
FALLBACK_INTENT = "nlu_fallback"
PAYLOAD_PREFIX = "/"
CATALOG_EXTRACTOR = "ProcedureCatalogExtractor"

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


# Questions of their own that may name a procedure ("pimple marks, cream or laser?").
_OWN_QUESTIONS = frozenset({"ask_dermatology", "ask_certification"})
# "skin rejuvenation karwana?": a name and a word or two is a question about the name.
_TERSE_WORDS = 2
# Sending reports to a doctor, or naming one, is how a second opinion is asked for.
_SECOND_OPINION_TOPICS = frozenset({"reports", "provider"})


def _is_payload(text: str | None) -> bool:
    return not text or text.startswith(PAYLOAD_PREFIX)


class _ContentComponent(GraphComponent):
    """A component built from its config alone: it reads content files, learns nothing."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> Self:
        return cls(config)  # type: ignore[call-arg]  # each subclass takes its config


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class ProcedureCatalogExtractor(_ContentComponent, EntityExtractorMixin):
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
            if _is_payload(text):
                continue
            matches = self._matcher.find(text)
            if not matches:
                continue
            found = [
                {
                    ENTITY_ATTRIBUTE_TYPE: "procedure",
                    ENTITY_ATTRIBUTE_VALUE: match.procedure_id,
                    ENTITY_ATTRIBUTE_START: match.start,
                    ENTITY_ATTRIBUTE_END: match.end,
                    ENTITY_ATTRIBUTE_CONFIDENCE: 1.0 if match.exact else 0.9,
                    EXTRACTOR: CATALOG_EXTRACTOR,
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
    return (
        one.get(ENTITY_ATTRIBUTE_START, 0) < other[ENTITY_ATTRIBUTE_END]
        and other[ENTITY_ATTRIBUTE_START] < one.get(ENTITY_ATTRIBUTE_END, 0)
    )


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class TriageIntentArbiter(_ContentComponent):
    """Settles the intent from red flags, practical cues and catalog procedures (see module)."""

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
            if not _is_payload(text):
                self._settle(message, text)
        return messages

    def _settle(self, message: Message, text: str) -> None:
        reading = self._lexicon.read(text)
        if reading.flag is not None:
            _set_intent(message, "emergency", 1.0)
            _add_entity(message, "red_flag", reading.flag.kind, text)
            return
        names_procedure = any(
            entity.get(EXTRACTOR) == CATALOG_EXTRACTOR
            for entity in message.get(ENTITIES, [])
        )
        asks_category = self._cues.asks_category(text)
        model_intent, model_confidence = _model_reading(message)
        if model_intent == "emergency":
            if reading.calm or not reading.mentions or names_procedure or asks_category:
                # DIET's guess goes against what the lexicon and the catalog read (calm
                # symptoms, no symptom at all, a procedure): its next reading stands.
                _set_intent(message, *_model_reading(message, skip="emergency"))
            elif self._raises_alone(model_confidence):
                _set_intent(message, "emergency", model_confidence)
                return
            else:
                _set_intent(message, "feel_unwell", model_confidence)
                return
        elif model_intent == "feel_unwell" and (reading.calm or names_procedure):
            # "No bleeding now, just a small scar": nothing to ask about.
            _set_intent(message, *_model_reading(message, skip="feel_unwell"))
        current = str((message.get(INTENT) or {}).get(INTENT_NAME_KEY) or FALLBACK_INTENT)
        topic = self._cues.practical_topic(text)
        if (
            topic
            and not asks_category
            and current in _PRACTICAL_OVERRIDES
            and not (current == "request_second_opinion" and topic in _SECOND_OPINION_TOPICS)
        ):
            _set_intent(message, "ask_practical", 1.0)
            _add_entity(message, "topic", topic, text)
            return
        if names_procedure and not self._carries_procedure(current, text, message):
            _set_intent(message, "ask_procedure_category", 1.0)

    def _raises_alone(self, confidence: float) -> bool:
        threshold = self._emergency_confidence
        return threshold is not None and confidence >= threshold

    def _carries_procedure(self, intent: str, text: str, message: Message) -> bool:
        """Whether DIET's reading stands although the message names a procedure: a
        procedure question already, a reading its own cue confirms, or a skin or
        qualification question that says more than the procedure's name."""
        if intent == "ask_procedure_category":
            return True
        if intent in _OWN_QUESTIONS:
            return not self._cues.asks_category(text) and _words_beside_procedures(
                message, text
            ) > _TERSE_WORDS
        if intent == "request_second_opinion":
            return self._cues.asks_second_opinion(text)
        if intent == "request_human":
            return self._cues.asks_person(text)
        if intent == "inform_criteria":
            return any(criterion.mentioned_in(text) for criterion in criteria())
        return False


def _words_beside_procedures(message: Message, text: str) -> int:
    """How many words the message has outside the catalog procedures it names."""
    spans = [
        (e[ENTITY_ATTRIBUTE_START], e[ENTITY_ATTRIBUTE_END])
        for e in message.get(ENTITIES, [])
        if e.get(EXTRACTOR) == CATALOG_EXTRACTOR
    ]
    return sum(
        1
        for token in tokenize(text)
        if not any(start <= token.start < end for start, end in spans)
    )


def _model_reading(message: Message, skip: str = "") -> tuple[str, float]:
    """DIET's top intent (other than `skip`), looking past the FallbackClassifier's
    `nlu_fallback`."""
    for candidate in message.get(INTENT_RANKING) or [message.get(INTENT) or {}]:
        name = candidate.get(INTENT_NAME_KEY)
        if name and name not in (FALLBACK_INTENT, skip):
            return str(name), float(candidate.get(PREDICTED_CONFIDENCE_KEY) or 0.0)
    return FALLBACK_INTENT, 0.0


def _set_intent(message: Message, name: str, confidence: float) -> None:
    intent = {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: confidence}
    ranking = [r for r in message.get(INTENT_RANKING) or [] if r.get(INTENT_NAME_KEY) != name]
    message.set(INTENT, intent, add_to_output=True)
    message.set(INTENT_RANKING, [intent, *ranking], add_to_output=True)


def _add_entity(message: Message, entity: str, value: str, text: str) -> None:
    tagged = {
        ENTITY_ATTRIBUTE_TYPE: entity,
        ENTITY_ATTRIBUTE_VALUE: value,
        ENTITY_ATTRIBUTE_START: 0,
        ENTITY_ATTRIBUTE_END: len(text),
        ENTITY_ATTRIBUTE_CONFIDENCE: 1.0,
        EXTRACTOR: TriageIntentArbiter.__name__,
    }
    message.set(ENTITIES, [*message.get(ENTITIES, []), tagged], add_to_output=True)
