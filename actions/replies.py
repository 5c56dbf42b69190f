"""Replies the custom actions send, rendered from content/dialogue.yml."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rasa_sdk.executor import CollectingDispatcher

from actions.content import CONTENT_DIR

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@lru_cache(maxsize=4)
def replies(path: Path = CONTENT_DIR / "dialogue.yml") -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return dict(yaml.safe_load(handle)["replies"])


def fill(template: str, values: dict[str, str]) -> str:
    """Fill `{name}` placeholders; other braces (JSON in payloads) are left as they are."""
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], template)


def render(key: str, **values: str) -> tuple[str, list[dict[str, str]]]:
    """The text and buttons of one reply, with the values filled in."""
    message = replies()[key][0]
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
