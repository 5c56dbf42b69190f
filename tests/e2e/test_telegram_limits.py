"""The real bot inside Telegram's limits, on the emulator that enforces them (issue 13, 5-6).

- At start the bot sets its command menus: the patients' in private chats, the staff's in
  the staff group, as getMyCommands and what people see show.
- A burst into the staff group, past 20 messages a minute: with PTB's rate limiter on (the
  production default) it is paced and Telegram never answers 429; with it off, Telegram
  answers 429 with retry_after, the outbox waits that long, and every message arrives.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from telegram import BotCommandScopeAllPrivateChats, BotCommandScopeChat

from bot.commands import menus
from bot.config import load_settings
from bot.model import ensure_model
from bot.outbox import text_payload
from bot.runtime import Runtime
from emulator.limits import TELEGRAM_LIMITS
from emulator.server import BotApiEmulator
from tests.e2e.conftest import STAFF_IDS, world_settings
from tests.e2e.harness import World

BURST = 25  # past the 20 a group takes in a minute


@pytest_asyncio.fixture(scope="module")
async def unpaced(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    """A bot with its rate limiter off (TELEGRAM_RATE_LIMIT=off) on an emulator with
    Telegram's limits on: what is measured is how the bot meets Telegram's 429s."""
    emulator = BotApiEmulator(flood_limits=TELEGRAM_LIMITS)
    await emulator.start()
    for user_id in STAFF_IDS:
        await emulator.add_user(user_id, first_name="Staff", last_name="Care")
    group = await emulator.create_group(
        "Care team", forum=True, members={uid: "member" for uid in STAFF_IDS}
    )
    tmp: Path = tmp_path_factory.mktemp("unpaced")
    values = world_settings(emulator, group["id"], f"sqlite:///{tmp / 'unpaced.db'}")
    values["TELEGRAM_RATE_LIMIT"] = "off"
    runtime = Runtime(load_settings(values), emulator.token, model_path=ensure_model())
    await runtime.start()
    try:
        yield World(emulator, runtime, group["id"], STAFF_IDS)
    finally:
        await runtime.stop()
        await emulator.stop()


@pytest_asyncio.fixture(scope="module")
async def paced(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    """The production default (TELEGRAM_RATE_LIMIT=on) in a world of its own: no other
    test's cases keep the group's queue summary and topics busy in the same minute."""
    emulator = BotApiEmulator(flood_limits=TELEGRAM_LIMITS)
    await emulator.start()
    for user_id in STAFF_IDS:
        await emulator.add_user(user_id, first_name="Staff", last_name="Care")
    group = await emulator.create_group(
        "Care team", forum=True, members={uid: "member" for uid in STAFF_IDS}
    )
    tmp: Path = tmp_path_factory.mktemp("paced")
    values = world_settings(emulator, group["id"], f"sqlite:///{tmp / 'paced.db'}")
    runtime = Runtime(load_settings(values), emulator.token, model_path=ensure_model())
    await runtime.start()
    try:
        yield World(emulator, runtime, group["id"], STAFF_IDS)
    finally:
        await runtime.stop()
        await emulator.stop()


async def _burst_into_staff_group(world: World, label: str, timeout: float) -> list[str]:
    """BURST messages to the staff group at once through the bot's durable outbox; returns
    the texts, once every one has arrived."""
    app = world.runtime.app
    assert app is not None
    outbox = app.bot_data["gateway"].outbox
    before = len(await world.emulator.bot_messages(world.staff_chat_id))
    wanted = [f"{label} notice {n}" for n in range(BURST)]
    await asyncio.gather(
        *(outbox.send(world.staff_chat_id, text_payload(text, None, None)) for text in wanted)
    )
    await world.emulator.wait_for_bot_messages(
        world.staff_chat_id, before + BURST, timeout=timeout
    )
    return wanted


def _group_refusals(state: dict[str, Any]) -> int:
    return int(state["refused"].get("group", 0))


async def test_menus_are_set_at_start(world: World) -> None:
    app = world.runtime.app
    assert app is not None
    expected = menus()
    private = await app.bot.get_my_commands(scope=BotCommandScopeAllPrivateChats())
    staff = await app.bot.get_my_commands(scope=BotCommandScopeChat(world.staff_chat_id))
    assert [(c.command, c.description) for c in private] == [
        (c.command, c.description) for c in expected.patients
    ]
    assert [c.command for c in staff] == [c.command for c in expected.staff]
    assert {"start", "help", "privacy", "mydata", "delete"} <= {c.command for c in private}
    assert {"queue", "release", "close", "note", "canned", "reply", "stats"} <= {
        c.command for c in staff
    }
    # What people see: a patient the patients' menu, staff in their group the staff's.
    patient = await world.new_patient("Menu", "Reader")
    seen = await world.emulator.visible_commands(patient.chat_id, patient.user_id)
    assert [c["command"] for c in seen] == [c.command for c in expected.patients]
    in_group = await world.emulator.visible_commands(world.staff_chat_id, world.staff_ids[0])
    assert [c["command"] for c in in_group] == [c.command for c in expected.staff]


async def test_paced_bot_meets_no_429_in_a_burst_into_the_staff_group(paced: World) -> None:
    """The production default: PTB's AIORateLimiter holds the group to 20 a minute."""
    world = paced
    assert world.runtime.settings.rate_limit
    before = await world.emulator.flood_limits()
    assert before["limits"]["group_per_minute"] == 20
    # Up to 20 at once, then one every 3 s; earlier tests may have used part of the minute.
    sent = await _burst_into_staff_group(world, "paced", timeout=150)
    after = await world.emulator.flood_limits()
    assert _group_refusals(after) == _group_refusals(before)
    texts = [m["text"] for m in await world.emulator.bot_messages(world.staff_chat_id)]
    assert all(texts.count(text) == 1 for text in sent)


async def test_unpaced_bot_honours_retry_after_and_loses_nothing(unpaced: World) -> None:
    """Without the limiter Telegram refuses the 21st message with 429 and retry_after; the
    outbox waits that long before it tries again, and all of them arrive, once each."""
    sent = await _burst_into_staff_group(unpaced, "unpaced", timeout=120)
    state = await unpaced.emulator.flood_limits()
    assert _group_refusals(state) >= BURST - TELEGRAM_LIMITS.group_burst
    texts = [m["text"] for m in await unpaced.emulator.bot_messages(unpaced.staff_chat_id)]
    assert sorted(t for t in texts if t in sent) == sorted(sent)
    calls = [c for c in await unpaced.emulator.api_calls("sendMessage")
             if c["params"].get("text") in sent]
    for text in sent:
        attempts = [c for c in calls if c["params"]["text"] == text]
        assert attempts[-1]["status"] == 200
        for refused, retried in itertools.pairwise(attempts):
            if refused["status"] == 429:
                assert refused["flood_limit"] == "group"
                assert 1 <= refused["retry_after"] <= 3  # one message every 3 s
                assert retried["time"] - refused["time"] >= refused["retry_after"] - 0.1
