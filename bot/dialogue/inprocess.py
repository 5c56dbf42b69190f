"""A Rasa Agent loaded into the gateway's own process (the default)."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.dialogue.base import (
    BotReply,
    DialogueError,
    ParsedIntent,
    parsed_from_rasa,
    replies_from_rasa,
)
from bot.dialogue.fastload import build_models_by_predicting

if TYPE_CHECKING:
    from rasa.core.agent import Agent
    from rasa.core.lock_store import LockStore
    from rasa.core.tracker_store import TrackerStore

log = logging.getLogger(__name__)


class InProcessDialogue:
    """Talks to a Rasa Agent in this process; custom actions run on the action server."""

    def __init__(self, agent: Agent) -> None:
        self._agent = agent

    @property
    def agent(self) -> Agent:
        """The loaded Agent (the console's /healthz asks whether it is ready)."""
        return self._agent

    @classmethod
    async def load(
        cls,
        model_path: Path,
        action_server_url: str | None,
        tracker_store: TrackerStore | None = None,
        lock_store: LockStore | None = None,
    ) -> InProcessDialogue:
        """Load the trained model off the event loop (TensorFlow start-up blocks for seconds)."""
        from rasa.core.agent import Agent
        from rasa.utils.endpoints import EndpointConfig

        endpoint = EndpointConfig(url=action_server_url) if action_server_url else None

        def _load() -> Agent:
            from bot.dialogue.responses import LocalizedResponses

            return Agent.load(
                model_path,
                generator=LocalizedResponses(),
                tracker_store=tracker_store,
                lock_store=lock_store,
                action_endpoint=endpoint,
            )

        validate_action_results_with_one_validator()
        # Most of the start: DIET built by one prediction, not one training step (fastload.py).
        build_models_by_predicting()
        agent = await asyncio.to_thread(_load)
        return cls(agent)

    async def respond(
        self, sender_id: str, text: str, metadata: Mapping[str, Any]
    ) -> list[BotReply]:
        """Run one user message through the Agent and collect what it says."""
        from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

        channel = CollectingOutputChannel()
        message = UserMessage(
            text,
            output_channel=channel,
            sender_id=sender_id,
            parse_data=payload_parse_data(text, self._agent.domain),
            input_channel="telegram",
            metadata=dict(metadata),
        )
        try:
            await self._agent.handle_message(message)
        except Exception as exc:  # Rasa raises many unrelated types; the patient needs one answer
            raise DialogueError(f"the dialogue model failed: {type(exc).__name__}") from exc
        return replies_from_rasa(channel.messages)

    async def parse(self, text: str) -> ParsedIntent:
        """Classify without changing any conversation."""
        return parsed_from_rasa(await self._agent.parse_message(text))

    async def close(self) -> None:
        """Nothing to release: the tracker store's engine goes with the process."""


def payload_parse_data(text: str, domain: Any) -> dict[str, Any] | None:
    """What Rasa's NLU makes of a button payload (`/intent{"entity": "value"}`), without it.

    Rasa 3.6 runs the whole NLU pipeline (DIET's TensorFlow included) on a payload and then
    throws its result away: the pipeline's last step, RegexMessageHandler, replaces it with
    this same unpacking. Most turns are button presses. None when the text is not a valid
    payload: then the pipeline must read it.
    """
    from rasa.nlu.classifiers.regex_message_handler import RegexMessageHandler
    from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
    from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_NAME_KEY, TEXT
    from rasa.shared.nlu.training_data.message import Message

    if not text.lstrip().startswith("/"):
        return None
    original = Message({TEXT: text})
    unpacked = YAMLStoryReader.unpack_regex_message(
        original, domain, entity_extractor_name=RegexMessageHandler.__name__
    )
    if unpacked is original:
        return None
    # As MessageProcessor._parse_message_with_graph shapes the pipeline's output.
    parse_data: dict[str, Any] = {
        TEXT: "",
        INTENT: {INTENT_NAME_KEY: None, "confidence": 0.0},
        ENTITIES: [],
    }
    parse_data.update(unpacked.as_dict(only_output_properties=True))
    return parse_data


@functools.cache
def validate_action_results_with_one_validator() -> None:
    """Rasa 3.6 checks every action server response with `jsonschema.validate`, which also
    re-checks the schema itself each time: a third of the bot's CPU under load (profiled in
    bench/). The same check, with the validator built once."""
    from jsonschema import ValidationError
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    spec = RemoteAction.action_response_format_spec()
    validator = validator_for(spec)(spec)

    def validate(self: RemoteAction, result: dict[str, Any]) -> bool:
        try:
            validator.validate(result)
        except ValidationError as error:
            error.message += (
                ". Failed to validate Action server response from API, make sure your "
                f"response from the Action endpoint is valid. See {DOCS_BASE_URL}/custom-actions"
            )
            raise
        return True

    RemoteAction._validate_action_result = validate  # type: ignore[method-assign]
