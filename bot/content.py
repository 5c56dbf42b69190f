"""The gateway's messages, read from content/messages.yml (and the staff tools' wording)."""

from __future__ import annotations

from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.paths import CONTENT


@lru_cache(maxsize=1)
def messages(path: Path = CONTENT / "messages.yml") -> dict[str, Any]:
    """All gateway messages, loaded once on first use."""
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def message(key: str, **values: object) -> str:
    """One message by dotted key (e.g. "media_received.photo"), with values filled in."""
    node: Any = messages()
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
