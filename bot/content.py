"""The gateway's messages, read from content/messages.yml (and the staff tools' wording).

A patient's messages come in their language (`lang`, see translation/); the staff side
stays English.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import yaml

from bot.paths import CONTENT
from translation import DEFAULT_LANGUAGE
from translation.overlay import localized_file


def messages(language: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
    """All gateway messages in a language, loaded once per language on first use."""
    return localized_file("messages.yml", language)


def message(key: str, lang: str = DEFAULT_LANGUAGE, **values: object) -> str:
    """One message by dotted key (e.g. "media_received.photo"), in a language, with values
    filled in."""
    node: Any = messages(lang)
    for part in key.split("."):
        node = node[part]
    return str(node).format(**values) if values else str(node)


@cache
def content_file(name: str) -> dict[str, Any]:
    """A content file other than messages.yml (e.g. "staff_tools.yml"), loaded once."""
    with (CONTENT / name).open(encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def tool_message(key: str, **values: object) -> str:
    """One message of content/staff_tools.yml by dotted key, with values filled in."""
    node: Any = content_file("staff_tools.yml")
    for part in key.split("."):
        node = node[part]
    return str(node).format(**values) if values else str(node)
