"""Fresh conversations with the trained model and the real action server, and what one
message's replies say (for the evaluations of bench/understanding.py and its neighbours)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_CHECK_PROMPT = "Is this happening right now?"
_SELF_HARM_MARK = "14416"
EMERGENCY_MARK = "This may be an emergency."


@dataclass
class Outcome:
    """The replies of one message sent to a conversation, and the slots after it."""

    texts: list[str]
    customs: list[dict[str, Any]]
    # Every reply's buttons, (title, payload), in order.
    buttons: list[tuple[str, str]] = field(default_factory=list)
    slots: dict[str, Any] = field(default_factory=dict)

    @property
    def first_text(self) -> str:
        return next((text for text in self.texts if text), "")

    @property
    def urgent_case(self) -> bool:
        return any(
            c.get("type") == "handoff" and c.get("urgency") == "urgent" for c in self.customs
        )

    @property
    def alarm(self) -> bool:
        """An emergency raised: guidance given or an urgent case opened."""
        joined = "\n".join(self.texts)
        return self.urgent_case or EMERGENCY_MARK in joined or _SELF_HARM_MARK in joined

    @property
    def self_harm_guidance(self) -> bool:
        return _SELF_HARM_MARK in self.first_text and "112" in self.first_text

    @property
    def checked(self) -> bool:
        """The patient was asked whether an emergency is happening right now."""
        return any(_CHECK_PROMPT in text for text in self.texts)


def leading_category(text: str) -> str | None:
    """The category an answer leads with: its first bold phrase."""
    found = _BOLD.search(text)
    if not found:
        return None
    lead = found.group(1).casefold()
    if "cosmetic" in lead:
        return "cosmetic"
    if "reconstructive" in lead or "plastic" in lead:
        return "reconstructive"
    return None


def bold_lead(text: str) -> str:
    """The first bold phrase of a reply, folded ("" without one)."""
    found = _BOLD.search(text)
    return found.group(1).casefold() if found else ""


class Conversations:
    """Fresh conversations with the trained model and the real action server."""

    def __init__(self, agent: Any) -> None:
        self._agent = agent
        self._count = 0

    async def ask(self, text: str, before: Sequence[str] = (), slots: bool = False) -> Outcome:
        """`text` in a new conversation, after the messages `before` (their replies aside)."""
        self._count += 1
        sender = f"eval-{self._count}"
        for earlier in before:
            await self._agent.handle_text(earlier, sender_id=sender)
        replies = await self._agent.handle_text(text, sender_id=sender) or []
        outcome = Outcome(
            [str(r.get("text") or "") for r in replies],
            [r["custom"] for r in replies if r.get("custom")],
            [
                (str(b.get("title")), str(b.get("payload")))
                for r in replies
                for b in r.get("buttons") or []
            ],
        )
        if slots:
            tracker = await self._agent.tracker_store.retrieve(sender)
            outcome.slots = dict(tracker.current_slot_values()) if tracker else {}
        return outcome

    async def ask_all(
        self,
        texts: Sequence[str],
        concurrency: int = 4,
        before: Sequence[str] = (),
        slots: bool = False,
    ) -> list[Outcome]:
        semaphore = asyncio.Semaphore(concurrency)

        async def one(text: str) -> Outcome:
            async with semaphore:
                return await self.ask(text, before, slots)

        return list(await asyncio.gather(*(one(text) for text in texts)))


async def with_agent(run: Any) -> Any:
    """`await run(agent)` with the current trained model and a fresh action server."""
    from bench.bare import load_agent
    from bot.actionserver import ActionServer
    from bot.model import ensure_model

    async with ActionServer() as actions:
        return await run(await load_agent(ensure_model(), actions.webhook_url))
