"""Simulated patients talking to the real bot through the Bot API emulator."""

from __future__ import annotations

import time
from typing import Any

from bench.outcome import ConversationOutcome
from bench.script import (
    Action,
    Button,
    Conversation,
    PatientScript,
    Reply,
    consent_in_order,
    step_name,
)
from emulator.server import BotApiEmulator

STAFF_IDS = (910_000_001, 910_000_002)


async def prepare_staff_groups(emulator: BotApiEmulator, count: int) -> list[int]:
    """`count` staff forum groups (STAFF_CHAT_IDS), the same staff in each; their chat ids."""
    for user_id, name in zip(STAFF_IDS, ("Ravi", "Meera"), strict=True):
        await emulator.add_user(user_id, first_name=name, last_name="Care")
    ids = []
    for number in range(1, count + 1):
        group = await emulator.create_group(
            "Care team" if number == 1 else f"Care team {number}",
            forum=True,
            members={uid: "member" for uid in STAFF_IDS},
        )
        ids.append(int(group["id"] if isinstance(group, dict) else group.id))
    return ids


def as_reply(record: dict[str, Any]) -> Reply:
    markup = record.get("reply_markup") or {}
    buttons = tuple(
        Button(b["text"], b.get("callback_data"))
        for row in markup.get("inline_keyboard", [])
        for b in row
    )
    return Reply(record.get("plain_text") or record.get("plain_caption") or "", buttons)


class EmulatedPatient:
    """One patient: types or presses, and times the first bot message of each turn."""

    def __init__(
        self,
        emulator: BotApiEmulator,
        user_id: int,
        conversation: Conversation,
        turn_timeout: float,
        settle: float = 0.05,
    ) -> None:
        self.emulator = emulator
        self.user_id = user_id
        self.script = PatientScript(conversation)
        self.turn_timeout = turn_timeout
        self.settle = settle
        self.seen = 0
        self.first_reply_at: float | None = None

    async def converse(self) -> ConversationOutcome:
        outcome = ConversationOutcome()
        await self.emulator.add_user(self.user_id, first_name="Bench", last_name="Patient")
        action: Action | None = self.script.first()
        turn: list[dict[str, Any]] = []
        try:
            while action is not None:
                turn = await self._take_turn(action, turn, outcome)
                if not turn:
                    return outcome
                replies = [as_reply(record) for record in turn]
                if self.script.finished(replies):
                    outcome.completed = True
                    everything = await self.emulator.bot_messages(self.user_id)
                    texts = [as_reply(record).text for record in everything]
                    outcome.out_of_order = not consent_in_order(self.script.conversation, texts)
                    return outcome
                action = self.script.next(replies)
            outcome.error = "stuck: " + " | ".join(r.text[:60] for r in replies)
        except Exception as exc:  # one patient's failure is a figure, not the end of the run
            outcome.error = f"{type(exc).__name__}: {exc}"[:300]
        return outcome

    async def _take_turn(
        self, action: Action, previous: list[dict[str, Any]], outcome: ConversationOutcome
    ) -> list[dict[str, Any]]:
        emulator, chat_id = self.emulator, self.user_id
        before = self.seen
        started = time.perf_counter()
        if action.kind == "text":
            await emulator.send_user_message(self.user_id, action.value)
        else:
            message_id = next(
                r["message_id"] for r in reversed(previous) if action.value in as_reply(r).titles()
            )
            await emulator.press_button(
                chat_id, message_id, text=action.value, user_id=self.user_id
            )
        try:
            records = await emulator.wait_for_bot_messages(chat_id, before + 1, self.turn_timeout)
        except TimeoutError:
            outcome.lost_turns += 1
            outcome.error = f"no reply within {self.turn_timeout:.0f} s to {action.kind}"
            return []
        now = time.perf_counter()
        outcome.latencies.append(now - started)
        outcome.steps.append(step_name(action))
        if self.first_reply_at is None:
            self.first_reply_at = now
        # The rest of the turn: until the next step is visible, then a moment for stragglers.
        while not self.script.ready([as_reply(r) for r in records[before:]]):
            try:
                records = await emulator.wait_for_bot_messages(
                    chat_id, len(records) + 1, self.turn_timeout
                )
            except TimeoutError:
                break
        while True:
            try:
                records = await emulator.wait_for_bot_messages(
                    chat_id, len(records) + 1, self.settle
                )
            except TimeoutError:
                break
        self.seen = len(records)
        return records[before:]
