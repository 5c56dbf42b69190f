"""Issue 13's staff-side scenario A, driven through the emulator against the running bot
(B and issue 24's C are in bench/staff_spread.py, what both wait for in bench/staff_drain.py).

A: a burst of cases in one staff group; staff take over the first (from the queue summary when
   it shows the case first, else from its card); relays both ways, and a patient finishing
   consent, timed while the burst's topics wait for the group.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from bench.outcome import ConversationOutcome
from bench.script import Action, Conversation
from bench.staff_drain import drain, summary
from bench.staff_watch import (
    Claimable,
    EventLog,
    announced,
    claimable,
    document_to,
    sent_text,
    sent_to,
    text_of,
    wait_announced,
    wait_claimable,
)
from bench.through_emulator import STAFF_IDS, EmulatedPatient, as_reply
from emulator.server import BotApiEmulator

HUMAN = "I want to talk to a human please"
JOINED = "has joined the conversation"
AFTER_CONSENT = "thank you"
TIMEOUT = 60.0
# How long the patient reads the last clause before agreeing (after the chat went quiet).
READING_SECONDS = 5.0


@dataclass
class Rig:
    """What a scenario drives: the emulator, its event log and the staff groups."""

    emulator: BotApiEmulator
    log: EventLog
    groups: list[int]
    conversation: Conversation


async def quiet(rig: Rig, chat_id: int, seconds: float = 2.0, limit: float = 30.0) -> None:
    """Until the bot has sent nothing into this chat for `seconds` (its turn is out)."""
    deadline = time.perf_counter() + limit
    while time.perf_counter() < deadline:
        last = rig.log.all(sent_to(chat_id))
        latest = last[-1].at if last else 0.0
        if time.perf_counter() - latest >= seconds:
            return
        await asyncio.sleep(0.2)


async def send_at(moment: float, coroutine: Any) -> Any:
    await asyncio.sleep(max(0.0, moment - time.perf_counter()))
    return await coroutine


# -- a patient finishing consent -------------------------------------------------------


class ConsentPatient(EmulatedPatient):
    """Walks the bench conversation up to the last "I agree", then times its end."""

    outcome: ConversationOutcome
    last_turn: list[dict[str, Any]]
    last_action: Action

    async def to_last_clause(self) -> None:
        await self.emulator.add_user(self.user_id, first_name=f"Consent{self.user_id % 1000:03d}x")
        self.outcome = ConversationOutcome()
        action: Action | None = self.script.first()
        turn: list[dict[str, Any]] = []
        while True:
            assert action is not None
            turn = await self._take_turn(action, turn, self.outcome)
            if not turn:
                raise RuntimeError(f"consent patient lost a turn: {self.outcome.error}")
            action = self.script.next([as_reply(r) for r in turn])
            if action is None:
                raise RuntimeError("consent patient stuck before the last clause")
            agreeing = action.value == self.script.conversation.agree_button
            if agreeing and self.script.agreed == 5:
                self.last_turn, self.last_action = turn, action
                return

    async def finish(self, log: EventLog) -> dict[str, Any]:
        """Press the last "I agree": the first reply, the receipt, then the next turn's reply."""
        chat = self.user_id
        # A person reads the clause before agreeing: the bench's patient answers the moment
        # the buttons show, which a person does not, and which would leave this chat's
        # 1-a-second budget (bursts of 5) spent by the clauses before.
        rig_quiet = Rig(self.emulator, log, [], self.script.conversation)
        await quiet(rig_quiet, chat)
        await asyncio.sleep(READING_SECONDS)
        message_id = next(
            r["message_id"]
            for r in reversed(self.last_turn)
            if self.last_action.value in as_reply(r).titles()
        )
        pressed = time.perf_counter()
        await self.emulator.press_button(
            chat, message_id, text=self.last_action.value, user_id=chat
        )
        first = await log.wait(sent_to(chat), pressed, TIMEOUT)
        receipt = await log.wait(document_to(chat), pressed, TIMEOUT)
        handoff = await log.wait(
            sent_text(chat, self.script.conversation.handoff_marker), pressed, TIMEOUT
        )
        await quiet(rig_quiet, chat)
        sent = time.perf_counter()
        await self.emulator.send_user_message(chat, AFTER_CONSENT)
        reply = await log.wait(sent_to(chat), sent, TIMEOUT)
        return {
            "last_clause_first_reply_s": _after(first, pressed),
            "receipt_after_last_clause_s": _after(receipt, pressed),
            "handoff_after_last_clause_s": _after(handoff, pressed),
            "next_reply_s": _after(reply, sent),
            "earlier_turns_s": summary(self.outcome.latencies),
        }


def _after(seen: Any, start: float) -> float | None:
    return None if seen is None else round(seen.at - start, 3)


# -- scenario A ------------------------------------------------------------------------


async def ask_for_person(rig: Rig, user_id: int, name: str) -> tuple[float, float | None]:
    """A new patient asks for a person; (when sent, seconds to the handoff reply)."""
    await rig.emulator.add_user(user_id, first_name=name, last_name="Bench")
    sent = time.perf_counter()
    await rig.emulator.send_user_message(user_id, HUMAN)
    reply = await rig.log.wait(sent_text(user_id, "Your case"), sent, TIMEOUT)
    return sent, _after(reply, sent)


def waiting(rig: Rig, names: list[str]) -> int:
    """How many of these patients' cases are not yet announced (topic and card)."""
    return sum(announced(rig.log, rig.groups, name) is None for name in names)


def not_claimable(rig: Rig, names: list[str]) -> int:
    """How many of these patients' cases staff cannot take over yet (no button anywhere)."""
    return sum(claimable(rig.log, rig.groups, name) is None for name in names)


async def relay_patient(
    rig: Rig, patient: int, group: int, thread: int, n: int, at: float
) -> float | None:
    text = f"patient relay check {n:02d}"
    sent = await send_at(at, _stamp(rig.emulator.send_user_message(patient, text)))
    copy = await rig.log.wait(sent_text(group, text, thread), sent, TIMEOUT)
    return _after(copy, sent)


async def relay_staff(
    rig: Rig, patient: int, group: int, thread: int, n: int, at: float
) -> float | None:
    text = f"staff relay check {n:02d}"
    message = rig.emulator.send_user_message(STAFF_IDS[0], text, chat_id=group, thread_id=thread)
    sent = await send_at(at, _stamp(message))
    copy = await rig.log.wait(sent_text(patient, text), sent, TIMEOUT)
    return _after(copy, sent)


async def _stamp(coroutine: Any) -> float:
    """Run it; the moment it started (the send's time, as a patient would see it)."""
    started = time.perf_counter()
    await coroutine
    return started


async def scenario_a(rig: Rig, size: dict[str, Any], first_user_id: int) -> dict[str, Any]:
    emulator, log = rig.emulator, rig.log
    figures: dict[str, Any] = {"size": size}
    await quiet(rig, rig.groups[0], 3.0, 120.0)  # the warm-up's case is out

    baseline = ConsentPatient(emulator, first_user_id, rig.conversation, TIMEOUT)
    await baseline.to_last_clause()
    figures["consent_without_burst"] = await baseline.finish(log)
    consenting = ConsentPatient(emulator, first_user_id + 1, rig.conversation, TIMEOUT)
    await consenting.to_last_clause()
    await quiet(rig, rig.groups[0], 3.0, 120.0)  # the baseline's case too

    burst_ids = [first_user_id + 10 + n for n in range(size["burst"])]
    names = [f"Burst{n:03d}x" for n in range(size["burst"])]
    step = size["burst_seconds"] / max(1, size["burst"] - 1)
    start = time.perf_counter() + 0.5
    asks = await asyncio.gather(
        *(
            send_at(start + n * step, ask_for_person(rig, uid, name))
            for n, (uid, name) in enumerate(zip(burst_ids, names, strict=True))
        )
    )
    figures["burst_sent_over_s"] = round(asks[-1][0] - asks[0][0], 2)
    figures["burst_handoff_reply_s"] = summary([s for _, s in asks if s is not None])
    first = await wait_claimable(log, rig.groups, names[0], TIMEOUT)
    if first is None:
        raise RuntimeError("the burst's first case was never shown to staff")
    figures["waiting_at_take_over"] = waiting(rig, names)
    figures["not_claimable_at_take_over"] = not_claimable(rig, names)
    figures["taken_over_from"] = "summary" if first.from_summary else "card"

    async def take_over() -> float | None:
        pressed, topic = await press_take_over(rig, first, names[0])
        told = await log.wait(sent_text(burst_ids[0], JOINED), pressed, TIMEOUT)
        ack = await log.wait(holder_shown(first.chat_id), pressed, TIMEOUT)
        figures["take_over_acknowledged_in_topic_s"] = _after(ack, pressed)
        figures["take_over_topic_and_card_s"] = topic
        return _after(told, pressed)

    told, figures["consent_during_burst"] = await asyncio.gather(
        take_over(), consenting.finish(log)
    )
    figures["patient_told_of_take_over_s"] = told
    await quiet(rig, burst_ids[0], 2.0)
    shown = announced(log, rig.groups, names[0])
    if shown is None:
        raise RuntimeError("the case taken over has no topic")

    patient, group, thread = burst_ids[0], shown.chat_id, shown.thread_id
    begin = time.perf_counter() + 0.5
    every = size["relay_seconds"] / size["relay_messages"]
    staff_every = size["relay_seconds"] / max(1, size["staff_messages"])
    to_staff, to_patient = await asyncio.gather(
        asyncio.gather(*(
            relay_patient(rig, patient, group, thread, n, begin + n * every)
            for n in range(size["relay_messages"])
        )),
        asyncio.gather(*(
            relay_staff(rig, patient, group, thread, n, begin + every / 2 + n * staff_every)
            for n in range(size["staff_messages"])
        )),
    )  # fmt: skip
    figures["waiting_after_relays"] = waiting(rig, names)
    figures["patient_to_staff_s"] = summary([s for s in to_staff if s is not None])
    figures["patient_to_staff_lost"] = sum(s is None for s in to_staff)
    figures["staff_to_patient_s"] = summary([s for s in to_patient if s is not None])
    figures["staff_to_patient_lost"] = sum(s is None for s in to_patient)
    figures["announcements"] = await drain(
        rig.log, rig.groups, names, asks, size["drain_timeout"]
    )
    return figures


async def press_take_over(rig: Rig, where: Claimable, name: str) -> tuple[float, float | None]:
    """Press the case's Take over (summary or card); (when, seconds to its topic's card)."""
    pressed = time.perf_counter()
    await rig.emulator.press_button(
        where.chat_id, where.message_id, text=where.label, user_id=STAFF_IDS[0]
    )
    shown = await wait_announced(rig.log, rig.groups, name, TIMEOUT)
    return pressed, None if shown is None else round(max(0.0, shown.card_at - pressed), 3)


def holder_shown(chat_id: int) -> Any:
    """In the group: the take over acknowledged, or a card saying who holds the case."""

    def match(event: dict[str, Any]) -> bool:
        text = text_of(event)
        return (
            event.get("type") in ("sent", "edited")
            and event.get("chat_id") == chat_id
            and (event.get("message") or {}).get("message_thread_id") is not None
            and ("has taken over" in text or "held by" in text)
        )

    return match
