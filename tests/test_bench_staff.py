"""bench.staff keeps working: its scenario B, the event log and the verdicts at a tiny size.

The real bot takes half a minute to load its model, so here a plain PTB `Bot` on the emulator
answers in its place (a handoff reply, a topic and a card per case, as the bot's messages
look), which is all the bench reads; `python -m bench.staff` runs the real one.
"""

from __future__ import annotations

import asyncio
import contextlib

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from bench.script import Conversation
from bench.staff_report import format_table, verdicts
from bench.staff_scenarios import Rig
from bench.staff_spread import scenario_b
from bench.staff_watch import EventLog, Seen, announced, claimable
from bench.through_emulator import prepare_staff_groups
from emulator.server import BotApiEmulator


async def _stand_in(bot: Bot, groups: list[int], skip: str) -> None:
    """Answer each patient and announce their case, in turn over the groups, except `skip`'s."""
    offset, number = 0, 0
    while True:
        for update in await bot.get_updates(offset=offset, timeout=1):
            offset = update.update_id + 1
            incoming = update.message
            if incoming is None or incoming.chat.type != "private":
                continue
            number += 1
            await bot.send_message(incoming.chat_id, f"Your case C-{number} is with our team")
            name = incoming.from_user.first_name if incoming.from_user else "?"
            if name == skip:
                continue
            group = groups[number % len(groups)]
            topic = await bot.create_forum_topic(group, f"C-{number} · {name} Bench · person")
            take_over = InlineKeyboardButton("Take over", callback_data=f"staff:claim:{number}")
            await bot.send_message(
                group,
                f"Case C-{number}",
                message_thread_id=topic.message_thread_id,
                reply_markup=InlineKeyboardMarkup([[take_over]]),
            )


async def test_scenario_b_counts_announced_cases_and_refusals() -> None:
    async with BotApiEmulator() as emulator:
        groups = await prepare_staff_groups(emulator, 2)
        log = EventLog(emulator)
        log.start()
        bot = Bot(emulator.token, base_url=emulator.bot_base_url)
        await bot.initialize()
        stand_in = asyncio.create_task(_stand_in(bot, groups, skip="Case002x"))
        try:
            rig = Rig(emulator, log, groups, Conversation.load())
            size = {"cases": 3, "spread_seconds": 0.6, "drain_timeout": 2.0, "groups": 2}
            figures = await scenario_b(rig, size, 830_000_001)
        finally:
            stand_in.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await stand_in
            await bot.shutdown()
            await log.stop()
        assert announced(log, groups, "Case000x") is not None
        shown = figures["announcements"]
        assert (shown["cases"], shown["announced"], shown["not_announced"]) == (3, 2, 1)
        assert sorted(shown["by_group"].values()) == [1, 1]
        assert figures["patients_unanswered"] == 0
        assert figures["handoff_reply_s"]["count"] == 3

    figures["limits"] = {"responses_429": 0, "emulator_refused": {}}
    results = {"command": "test", "machine": {}, "scenario_b": figures}
    judged = {v.target: v.met for v in verdicts(results)}
    assert judged == {
        "B: every case announced, nothing lost": False,
        "B: 0 responses with 429": True,
    }
    table = format_table(results)
    assert "2 / 3" in table and "MISSED" in table


def _event(kind: str, text: str, labels: list[str], thread: int | None = None) -> dict:
    keyboard = [[{"text": label, "callback_data": "x"}] for label in labels]
    return {
        "type": kind,
        "chat_id": -100,
        "message_id": 5,
        "message": {
            "plain_text": text,
            "message_thread_id": thread,
            "reply_markup": {"inline_keyboard": keyboard} if labels else None,
        },
    }


def test_a_case_is_claimable_from_the_summarys_button_or_its_card() -> None:
    log = EventLog.__new__(EventLog)
    log.seen = [
        Seen(1.0, _event("sent", "Waiting cases: 1\n1001 Case000x", ["Take over 1001 · Case000x"])),
        Seen(2.0, _event("edited", "1001 Case000x\n1002 Case001x", ["Take over 1002 · Case001x"])),
        Seen(3.0, _event("sent", "Case 1003 Patient: Case002x Bench", ["Take over", "Close"], 7)),
        Seen(4.0, _event("sent", "Case 1004 Patient: Case003x Bench", ["Close"], 8)),
    ]
    first = claimable(log, [-100], "Case000x")
    assert first is not None and first.from_summary and first.at == 1.0
    assert first.label == "Take over 1001 · Case000x"
    assert claimable(log, [-100], "Case001x").at == 2.0  # type: ignore[union-attr]
    card = claimable(log, [-100], "Case002x")
    assert card is not None and not card.from_summary and card.label == "Take over"
    assert claimable(log, [-100], "Case003x") is None
    assert claimable(log, [-200], "Case000x") is None


def test_issue_24s_verdicts() -> None:
    shown = {"cases": 20, "claimable": 20, "claimable_from_message_s": {"max": 4.2}}
    c = {
        "announcements": {**shown, "cases": 100, "claimable": 100, "topics_more_than_once": 0},
        "take_over_topic_and_card_s": {"max": 1.5},
        "take_over_patient_told_s": {"max": 0.3},
        "taken_without_topic": 0,
        "limits": {"responses_429": 0, "emulator_refused": {}},
    }
    results = {"scenario_a": {"announcements": shown}, "scenario_c": c}
    judged = {v.target: v.met for v in verdicts(results)}
    assert judged["A: every case claimable <= 10 s (worst)"] is True
    assert judged["C: every case claimable <= 15 s (worst)"] is True
    assert judged["C: none announced twice"] is True
    assert judged["C: each taken case's topic and card <= 10 s after the press"] is True
    c["announcements"]["claimable"] = 99
    judged = {v.target: v.met for v in verdicts(results)}
    assert judged["C: every case claimable <= 15 s (worst)"] is False
