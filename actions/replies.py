"""Replies the custom actions send, rendered from content/dialogue.yml (and its Hindi)."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk.executor import CollectingDispatcher

from actions.language import speaking
from translation.overlay import localized_file

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def replies(language: str | None = None) -> dict[str, Any]:
    """Every reply in a language (the action call's by default)."""
    return localized_file("dialogue.yml", language or speaking())["replies"]


def fill(template: str, values: dict[str, str]) -> str:
    """Fill `{name}` placeholders; other braces (JSON in payloads) are left as they are."""
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], template)


def render(
    key: str, language: str | None = None, **values: str
) -> tuple[str, list[dict[str, str]]]:
    """The text and buttons of one reply, with the values filled in."""
    message = replies(language)[key][0]
    text = fill(str(message["text"]), values)
    buttons = [
        {"title": fill(str(b["title"]), values), "payload": fill(str(b["payload"]), values)}
        for b in message.get("buttons", [])
    ]
    return text, buttons


def say(
    dispatcher: CollectingDispatcher, key: str, buttons: bool = True, **values: str
) -> None:
    """Send one reply; `buttons=False` leaves its buttons off (an answer inside a form)."""
    text, rendered = render(key, **values)
    dispatcher.utter_message(text=text, buttons=rendered if buttons else [])
