"""Which of Rasa's trackers can be handed out again without reading the conversation back.

Rasa's SQL tracker store rebuilds the tracker from every event of the session on each turn,
and counts the stored events again on each save: together a sixth of the bot's CPU under load
(bench/README.md). A tracker this process saved is still exactly what the database holds
unless someone else wrote to the conversation since, which the id of its newest event row
tells: ids only grow, so another worker's turn, or an erasure followed by a new conversation,
changes it. When a chat's turn follows one on another worker (a proxy that scatters chats,
or a dead worker's chats moving): only the rows after the saved tracker's newest are read and
applied to it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rasa.shared.core.trackers import DialogueStateTracker

# Conversations kept per process. A whole bench conversation's tracker (102 events) takes
# about 180 KiB, so at most about 90 MiB; more than the conversations one worker has in flight.
TRACKER_CACHE_SIZE = 500


@dataclass(frozen=True)
class StoredTracker:
    """A tracker and what the database held of it when this process last read or wrote it."""

    tracker: DialogueStateTracker
    stored: int
    """How many of `tracker.events` are rows in the database."""
    last_event_id: int | None
    """The conversation's newest row id at that moment."""
    reusable: bool
    """Whether `tracker.events` are exactly the rows a retrieve would load (the latest session).
    Not so for a tracker created here (its first events precede the session start) or one
    that started a new session (its earlier session's events are still in memory)."""


class TrackerCache:
    """Trackers by conversation, least recently used first out; safe across threads."""

    def __init__(self, size: int = TRACKER_CACHE_SIZE) -> None:
        self._size = size
        self._entries: OrderedDict[str, StoredTracker] = OrderedDict()
        self._lock = threading.Lock()

    def reusable(self, sender_id: str, last_event_id: int | None) -> DialogueStateTracker | None:
        """The saved tracker, if the database still holds exactly its events."""
        with self._lock:
            entry = self._entries.get(sender_id)
            if (
                entry is None
                or not entry.reusable
                or last_event_id is None
                or entry.last_event_id != last_event_id
                # Changed in memory but never saved (a turn that failed half way).
                or len(entry.tracker.events) != entry.stored
            ):
                return None
            self._entries.move_to_end(sender_id)
            return entry.tracker

    def behind(self, sender_id: str, last_event_id: int | None) -> StoredTracker | None:
        """The saved tracker, if it is exactly the database's events up to an older row: the
        conversation went on elsewhere (a turn on another worker) and can be caught up."""
        with self._lock:
            entry = self._entries.get(sender_id)
            if (
                entry is None
                or not entry.reusable
                or entry.last_event_id is None
                or last_event_id is None
                or entry.last_event_id >= last_event_id
                or len(entry.tracker.events) != entry.stored
            ):
                return None
            return entry

    def known(self, sender_id: str, tracker: DialogueStateTracker) -> StoredTracker | None:
        """What is stored of this very tracker object, if this process read or wrote it last."""
        with self._lock:
            entry = self._entries.get(sender_id)
            return entry if entry is not None and entry.tracker is tracker else None

    def remember(self, sender_id: str, entry: StoredTracker) -> None:
        with self._lock:
            self._entries[sender_id] = entry
            self._entries.move_to_end(sender_id)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def forget(self, sender_id: str) -> None:
        with self._lock:
            self._entries.pop(sender_id, None)

    def __len__(self) -> int:
        return len(self._entries)
