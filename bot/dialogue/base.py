"""What the gateway needs from a dialogue model, whichever way Rasa is reached."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


class DialogueError(Exception):
    """Rasa did not answer as it should (unreachable, failed, or answered nothing)."""


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class BotReply:
    text: str | None = None
    buttons: tuple[Button, ...] = ()
    custom: Mapping[str, Any] | None = None
    image: str | None = None


@dataclass(frozen=True)
class ParsedIntent:
    name: str | None
    confidence: float
    entities: tuple[Mapping[str, Any], ...] = field(default_factory=tuple)


class Dialogue(Protocol):
    async def respond(
        self, sender_id: str, text: str, metadata: Mapping[str, Any]
    ) -> list[BotReply]:
        """Send one user message into the conversation and return the bot's replies."""
        ...

    async def parse(self, text: str) -> ParsedIntent:
        """Classify a text without touching any conversation."""
        ...

    async def close(self) -> None:
        """Release connections and models."""
        ...


def replies_from_rasa(messages: list[Mapping[str, Any]] | None) -> list[BotReply]:
    """Turn Rasa's output-channel dicts (in-process or REST) into BotReply values."""
    replies: list[BotReply] = []
    for message in messages or []:
        buttons = tuple(
            Button(title=str(b.get("title", "")), payload=str(b.get("payload", "")))
            for b in message.get("buttons") or []
        )
        custom = message.get("custom")
        reply = BotReply(
            text=message.get("text") or None,
            buttons=buttons,
            custom=custom if isinstance(custom, Mapping) else None,
            image=message.get("image") or None,
        )
        if reply.text or reply.buttons or reply.custom or reply.image:
            replies.append(reply)
    if not replies:
        raise DialogueError("the dialogue model returned no reply")
    return replies


def parsed_from_rasa(data: Mapping[str, Any]) -> ParsedIntent:
    """Turn Rasa's parse result into a ParsedIntent."""
    intent = data.get("intent") or {}
    return ParsedIntent(
        name=intent.get("name"),
        confidence=float(intent.get("confidence") or 0.0),
        entities=tuple(data.get("entities") or ()),
    )
