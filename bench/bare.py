"""The baseline: the same conversations straight into Rasa's `Agent.handle_text`."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.outcome import ConversationOutcome
from bench.script import Action, Button, Conversation, PatientScript, Reply, step_name

if TYPE_CHECKING:
    from rasa.core.agent import Agent


async def load_agent(model: Path, action_server_url: str) -> Agent:
    """Rasa's defaults otherwise: in-memory tracker and lock stores."""
    from rasa.core.agent import Agent
    from rasa.utils.endpoints import EndpointConfig
    from rasa.utils.log_utils import configure_structlog

    # As `rasa run` does; unconfigured, structlog prints every debug event of every turn.
    configure_structlog(logging.INFO)
    logging.getLogger().setLevel(logging.WARNING)
    endpoint = EndpointConfig(url=action_server_url)
    return await asyncio.to_thread(Agent.load, model, action_endpoint=endpoint)


def as_reply(response: dict[str, Any]) -> Reply:
    buttons = tuple(Button(b["title"], b.get("payload")) for b in response.get("buttons") or [])
    return Reply(response.get("text") or "", buttons)


def message_for(action: Action, previous: list[Reply]) -> str:
    """What the gateway would hand Rasa: typed text, or the pressed button's payload."""
    if action.kind == "text":
        return action.value
    for reply in reversed(previous):
        for button in reply.buttons:
            if button.title == action.value and button.payload:
                return button.payload
    raise LookupError(f"no button {action.value!r} in the last replies")


class BarePatient:
    def __init__(
        self, agent: Agent, sender_id: str, conversation: Conversation, turn_timeout: float
    ) -> None:
        self.agent = agent
        self.sender_id = sender_id
        self.script = PatientScript(conversation)
        self.turn_timeout = turn_timeout

    async def converse(self) -> ConversationOutcome:
        outcome = ConversationOutcome()
        action: Action | None = self.script.first()
        replies: list[Reply] = []
        try:
            while action is not None:
                text = message_for(action, replies)
                started = time.perf_counter()
                try:
                    responses = await asyncio.wait_for(
                        self.agent.handle_text(text, sender_id=self.sender_id), self.turn_timeout
                    )
                except asyncio.TimeoutError:
                    outcome.lost_turns += 1
                    outcome.error = f"no reply within {self.turn_timeout:.0f} s"
                    return outcome
                outcome.latencies.append(time.perf_counter() - started)
                outcome.steps.append(step_name(action))
                replies = [as_reply(r) for r in responses or []]
                if not replies:
                    outcome.lost_turns += 1
                action = self.script.next(replies)
            # Rasa's last word is the consent's end; the handoff message is the gateway's.
            outcome.completed = self.script.agreed >= 5
        except Exception as exc:  # one patient's failure is a figure, not the end of the run
            outcome.error = f"{type(exc).__name__}: {exc}"[:300]
        return outcome
