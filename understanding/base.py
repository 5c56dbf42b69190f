"""What the project's Rasa graph components share: built from their config alone, and
small helpers to read and set a message's intent and entities."""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
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
)
from rasa.shared.nlu.training_data.message import Message
from typing_extensions import Self

INTENT_RANKING = "intent_ranking"
FALLBACK_INTENT = "nlu_fallback"
PAYLOAD_PREFIX = "/"


def is_payload(text: str | None) -> bool:
    return not text or text.startswith(PAYLOAD_PREFIX)


class ContentComponent(GraphComponent):
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


def entity(
    kind: str, value: str, start: int, end: int, extractor: str, **extra: Any
) -> dict[str, Any]:
    """An entity as Rasa keeps it; `extra` keys travel with it to the actions."""
    return {
        ENTITY_ATTRIBUTE_TYPE: kind,
        ENTITY_ATTRIBUTE_VALUE: value,
        ENTITY_ATTRIBUTE_START: start,
        ENTITY_ATTRIBUTE_END: end,
        ENTITY_ATTRIBUTE_CONFIDENCE: 1.0,
        EXTRACTOR: extractor,
        **extra,
    }


def entities_from(
    message: Message, extractor: str, kind: str | None = None
) -> list[dict[str, Any]]:
    """The entities one extractor put on the message (of one kind, when given)."""
    return [
        found
        for found in message.get(ENTITIES, [])
        if found.get(EXTRACTOR) == extractor
        and (kind is None or found.get(ENTITY_ATTRIBUTE_TYPE) == kind)
    ]


def replace_entities(message: Message, kinds: set[str], found: list[dict[str, Any]]) -> None:
    """Put `found` on the message in place of every other entity of those kinds."""
    others = [e for e in message.get(ENTITIES, []) if e.get(ENTITY_ATTRIBUTE_TYPE) not in kinds]
    message.set(ENTITIES, [*found, *others], add_to_output=True)


def add_entity(message: Message, found: dict[str, Any]) -> None:
    message.set(ENTITIES, [*message.get(ENTITIES, []), found], add_to_output=True)


def set_intent(message: Message, name: str, confidence: float) -> None:
    intent = {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: confidence}
    ranking = [r for r in message.get(INTENT_RANKING) or [] if r.get(INTENT_NAME_KEY) != name]
    message.set(INTENT, intent, add_to_output=True)
    message.set(INTENT_RANKING, [intent, *ranking], add_to_output=True)


def model_reading(message: Message, skip: str = "") -> tuple[str, float]:
    """DIET's top intent (other than `skip`), looking past the FallbackClassifier's
    `nlu_fallback`."""
    for candidate in message.get(INTENT_RANKING) or [message.get(INTENT) or {}]:
        name = candidate.get(INTENT_NAME_KEY)
        if name and name not in (FALLBACK_INTENT, skip):
            return str(name), float(candidate.get(PREDICTED_CONFIDENCE_KEY) or 0.0)
    return FALLBACK_INTENT, 0.0


def current_intent(message: Message) -> str:
    return str((message.get(INTENT) or {}).get(INTENT_NAME_KEY) or FALLBACK_INTENT)
