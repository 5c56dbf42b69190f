"""The gateway's messages, read from content/messages.yml."""

from __future__ import annotations

from functools import lru_cache
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
