"""What the bot does in the emulator, timestamped as it happens: the staff bench's clock.

One task follows the emulator's event feed (`events`, a long poll in this process) and keeps
every event with the `time.perf_counter()` at which it arrived; a measurement waits for the
first event after its start that matches, so every figure is a difference of two readings of
one clock, without polling the emulator per figure.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from emulator.server import BotApiEmulator

Event = dict[str, Any]
Match = Callable[[Event], bool]


@dataclass(frozen=True)
class Seen:
    at: float
    event: Event


class EventLog:
    """The emulator's events for this run's bot, each with the moment it was seen."""

    def __init__(self, emulator: BotApiEmulator) -> None:
        self.emulator = emulator
        self.seen: list[Seen] = []
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def _follow(self) -> None:
        after = 0
        while True:
            batch = await self.emulator.events(after=after, timeout=1.0)
            now = time.perf_counter()
            for event in batch:
                self.seen.append(Seen(now, event))
                after = max(after, int(event["seq"]))
            if batch:
                self._changed.set()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._follow())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def first(self, match: Match, since: float = 0.0) -> Seen | None:
        return next((s for s in self.seen if s.at >= since and match(s.event)), None)

    def all(self, match: Match, since: float = 0.0) -> list[Seen]:
        return [s for s in self.seen if s.at >= since and match(s.event)]

    async def wait(self, match: Match, since: float, timeout: float) -> Seen | None:
        """The first matching event seen at or after `since`; None after `timeout` seconds."""
        deadline = time.perf_counter() + timeout
        while True:
            found = self.first(match, since)
            if found is not None:
                return found
            left = deadline - time.perf_counter()
            if left <= 0:
                return None
            self._changed.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout=min(left, 1.0))


def text_of(event: Event) -> str:
    message = event.get("message") or {}
    return str(message.get("plain_text") or message.get("plain_caption") or "")


def sent_to(chat_id: int, thread_id: int | None = None) -> Match:
    """A message the bot sent into this chat (and topic)."""

    def match(event: Event) -> bool:
        message = event.get("message") or {}
        return (
            event.get("type") == "sent"
            and event.get("chat_id") == chat_id
            and (thread_id is None or message.get("message_thread_id") == thread_id)
        )

    return match


def sent_text(chat_id: int, text: str, thread_id: int | None = None, exact: bool = False) -> Match:
    """The bot's message into this chat (topic) showing `text` (exactly, or within it)."""
    into = sent_to(chat_id, thread_id)

    def match(event: Event) -> bool:
        shown = text_of(event)
        return into(event) and (shown == text if exact else text in shown)

    return match


def document_to(chat_id: int) -> Match:
    into = sent_to(chat_id)
    return lambda event: into(event) and (event.get("message") or {}).get("kind") == "document"


def topic_named(chat_ids: list[int], name_part: str) -> Match:
    """The bot created a topic, in one of these groups, whose name holds `name_part`."""
    return lambda event: (
        event.get("type") == "topic_created"
        and event.get("chat_id") in chat_ids
        and name_part in str(event.get("name") or "")
    )


def card_in(chat_id: int, thread_id: int) -> Match:
    """A message with buttons in the topic: the case's card."""
    into = sent_to(chat_id, thread_id)

    def match(event: Event) -> bool:
        markup = (event.get("message") or {}).get("reply_markup") or {}
        return into(event) and bool(markup.get("inline_keyboard"))

    return match


@dataclass(frozen=True)
class Announced:
    """A case's topic and card as staff saw them."""

    chat_id: int
    thread_id: int
    topic_at: float
    card_at: float
    card_message_id: int


def announced(log: EventLog, chat_ids: list[int], name_part: str) -> Announced | None:
    """The case's topic and card, once both are out (None until then)."""
    topic = log.first(topic_named(chat_ids, name_part))
    if topic is None:
        return None
    chat_id, thread_id = int(topic.event["chat_id"]), int(topic.event["message_thread_id"])
    card = log.first(card_in(chat_id, thread_id))
    if card is None:
        return None
    return Announced(chat_id, thread_id, topic.at, card.at, int(card.event["message_id"]))


async def wait_announced(
    log: EventLog, chat_ids: list[int], name_part: str, timeout: float
) -> Announced | None:
    deadline = time.perf_counter() + timeout
    while True:
        found = announced(log, chat_ids, name_part)
        if found is not None or time.perf_counter() > deadline:
            return found
        await log.wait(
            lambda e: e.get("type") in ("sent", "topic_created"), time.perf_counter(), 1.0
        )


@dataclass(frozen=True)
class Claimable:
    """Where staff could first take the case over: its summary line's button, or its card."""

    chat_id: int
    message_id: int
    label: str
    at: float
    from_summary: bool


def _take_over_button(event: Event, name_part: str) -> tuple[str, bool] | None:
    """The case's Take over button on this message: (its label, whether it is the summary's)."""
    markup = (event.get("message") or {}).get("reply_markup") or {}
    labels = [str(b.get("text")) for row in markup.get("inline_keyboard", []) for b in row]
    for label in labels:
        if "Take over" in label and name_part in label:
            return label, True
    if "Take over" in labels and name_part in text_of(event):
        return "Take over", False  # a case card: one button, the name in its text
    return None


def claimable(
    log: EventLog, chat_ids: list[int], name_part: str, since: float = 0.0
) -> Claimable | None:
    """The first message (sent or edited) in these groups with the case's Take over button."""
    for seen in log.seen:
        event = seen.event
        if seen.at < since or event.get("type") not in ("sent", "edited"):
            continue
        if event.get("chat_id") not in chat_ids:
            continue
        found = _take_over_button(event, name_part)
        if found is not None:
            label, summary = found
            return Claimable(
                int(event["chat_id"]), int(event["message_id"]), label, seen.at, summary
            )
    return None


async def wait_claimable(
    log: EventLog, chat_ids: list[int], name_part: str, timeout: float
) -> Claimable | None:
    deadline = time.perf_counter() + timeout
    while True:
        found = claimable(log, chat_ids, name_part)
        if found is not None or time.perf_counter() > deadline:
            return found
        await log.wait(lambda e: e.get("type") in ("sent", "edited"), time.perf_counter(), 1.0)
