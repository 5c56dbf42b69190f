"""A turn's buffer: what the handling of one update says, kept until the turn is written.

Shared by the outbox (bot/outbox.py), which fills and writes it, and its task runner
(bot/outbox_tasks.py), which opens one for each task it runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class TurnBuffer:
    update_id: int
    attempt: int = 0
    items: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    # Set when the turn could not be completed: the update must be handled again later.
    unprocessed: bool = False
