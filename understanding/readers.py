"""Rasa graph components (config.yml) that put the description and criteria readings on a
message as entities, beside the catalog's procedures:

- `DescriptionExtractor`: what a patient describes instead of naming
  (understanding/descriptions.py): `body_part`, `cause`, `purpose` (appearance or function,
  in place of DIET's: a stated cause wins) and, where the catalog names none, the
  `procedure` it points to; `description` "unclear" where only something being wrong was
  said (a `body_part` so said carries `unclear`, and `dermatology` for skin and face);
- `CriteriaExtractor`: the second-opinion criteria said in the patient's own words
  (understanding/criteria.py): `criterion` for one met, `criterion_denied` for one the
  patient said does not hold, each over the patient's words and with `said`, what the
  assistant says back. They replace DIET's `criterion` entities, which miss negation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITY_ATTRIBUTE_END, ENTITY_ATTRIBUTE_START, TEXT
from rasa.shared.nlu.training_data.message import Message

from understanding.base import (
    ContentComponent,
    entities_from,
    entity,
    is_payload,
    replace_entities,
)
from understanding.criteria import criteria_reader
from understanding.descriptions import DescriptionReading, description_reader

CATALOG_EXTRACTOR = "ProcedureCatalogExtractor"
DESCRIPTION_EXTRACTOR = "DescriptionExtractor"
CRITERIA_EXTRACTOR = "CriteriaExtractor"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class DescriptionExtractor(ContentComponent, EntityExtractorMixin):
    """Tags the body part, cause, purpose and procedure a description points to."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"descriptions": None}

    def __init__(self, config: dict[str, Any]) -> None:
        path = config.get("descriptions")
        self._reader = description_reader(*([Path(path)] if path else []))

    def process(self, messages: list[Message]) -> list[Message]:
        """Add the reading's entities (payloads are left as Rasa parsed them)."""
        for message in messages:
            text = message.get(TEXT)
            if is_payload(text):
                continue
            named = entities_from(message, CATALOG_EXTRACTOR, "procedure")
            reading = self._reader.read(
                text, [(e[ENTITY_ATTRIBUTE_START], e[ENTITY_ATTRIBUTE_END]) for e in named]
            )
            found = _reading_entities(reading, self._reader.surgical)
            kinds = {e["entity"] for e in found}
            if named:
                kinds.discard("procedure")
            replace_entities(
                message, kinds, [e for e in found if e["entity"] != "procedure" or not named]
            )
        return messages


def _reading_entities(
    reading: DescriptionReading, surgical: dict[str, bool]
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if reading.part and reading.part_span:
        # `unclear`: only "something is wrong" was said of it; the purpose is asked.
        found.append(
            entity(
                "body_part",
                reading.part.id,
                *reading.part_span,
                DESCRIPTION_EXTRACTOR,
                unclear=reading.unclear,
                dermatology=reading.part.dermatology,
            )
        )
    for cause in reading.causes[:1]:
        found.append(entity("cause", cause.concept, cause.start, cause.end, DESCRIPTION_EXTRACTOR))
    if reading.purpose and reading.decisive:
        decisive = reading.decisive
        found.append(
            entity("purpose", reading.purpose, decisive.start, decisive.end, DESCRIPTION_EXTRACTOR)
        )
    if reading.procedure:
        found.append(
            entity(
                "procedure",
                reading.procedure,
                *_where(reading),
                DESCRIPTION_EXTRACTOR,
                surgical=surgical.get(reading.procedure, True),
            )
        )
    if reading.unclear and not reading.part:
        found.append(entity("description", "unclear", *_where(reading), DESCRIPTION_EXTRACTOR))
    return found


def _where(reading: DescriptionReading) -> tuple[int, int]:
    """The words a proposed procedure stands on: the part, else what decided it."""
    if reading.part_span:
        return reading.part_span
    said = reading.decisive or next(iter(reading.conditions), None)
    return (said.start, said.end) if said else (0, 0)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class CriteriaExtractor(ContentComponent, EntityExtractorMixin):
    """Tags the second-opinion criteria a message meets or denies."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"criteria": None}

    def __init__(self, config: dict[str, Any]) -> None:
        path = config.get("criteria")
        self._reader = criteria_reader(*([Path(path)] if path else []))

    def process(self, messages: list[Message]) -> list[Message]:
        """Replace DIET's criteria with the reader's (payloads are left as they are)."""
        for message in messages:
            text = message.get(TEXT)
            if is_payload(text):
                continue
            found = [
                entity(
                    "criterion" if finding.met else "criterion_denied",
                    finding.criterion,
                    finding.start,
                    finding.end,
                    CRITERIA_EXTRACTOR,
                    said=finding.said,
                )
                for finding in self._reader.read(text)
            ]
            replace_entities(message, {"criterion", "criterion_denied"}, found)
        return messages
