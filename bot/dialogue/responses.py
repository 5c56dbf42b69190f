"""Rasa's own responses (domain.yml's `utter_*`) in the patient's language.

Rasa picks a response's text with its natural-language generator; this one lays the Hindi
of content/hi/domain.yml over the domain's English for a message whose metadata carries
`"language": "hi"` (the gateway's choice, bot/language.py). For a separate Rasa server
(`RASA_URL`), name it in that server's endpoints.yml: `nlg: {type:
bot.dialogue.responses.LocalizedResponses}`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from translation import DEFAULT_LANGUAGE, LANGUAGES
from translation.overlay import localized_tree


def tracker_language(tracker: DialogueStateTracker) -> str:
    """The language the latest message's metadata asks for; English without one."""
    latest = tracker.latest_message
    metadata = getattr(latest, "metadata", None) or {}
    language = metadata.get("language") if isinstance(metadata, Mapping) else None
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


class LocalizedResponses(TemplatedNaturalLanguageGenerator):
    """The domain's responses, with a translated set per language built once."""

    def __init__(
        self, endpoint_config: EndpointConfig | None = None, domain: Domain | None = None
    ) -> None:
        super().__init__(domain.responses if domain is not None else {})
        self._translated: dict[str, tuple[int, TemplatedNaturalLanguageGenerator]] = {}

    def in_language(self, language: str) -> TemplatedNaturalLanguageGenerator:
        """A generator of the responses in `language` (rebuilt if Rasa replaced them: the
        Agent sets `responses` when its model is loaded)."""
        if language == DEFAULT_LANGUAGE:
            return self
        built = self._translated.get(language)
        if built is None or built[0] != id(self.responses):
            tree = localized_tree({"responses": self.responses}, "domain.yml", language)
            built = (id(self.responses), TemplatedNaturalLanguageGenerator(tree["responses"]))
            self._translated[language] = built
        return built[1]

    async def generate(
        self,
        utter_action: str,
        tracker: DialogueStateTracker,
        output_channel: str,
        **kwargs: Any,
    ) -> dict[str, Any] | None:
        """The response for `utter_action` in the language of the latest message."""
        generator = self.in_language(tracker_language(tracker))
        return generator.generate_from_slots(
            utter_action, tracker.current_slot_values(), output_channel, **kwargs
        )
