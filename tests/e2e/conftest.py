"""One real bot for the whole e2e session: emulator, Runtime, action server, trained model."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.config import load_settings
from bot.model import ensure_model
from bot.runtime import Runtime
from emulator.server import BotApiEmulator
from tests.e2e.harness import World

STAFF_IDS = (900_000_001, 900_000_002)
STRANGER_ID = 900_000_099
# In a world of several staff groups: staff of the second group only.
GROUP_TWO_STAFF_ID = 900_000_003


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the e2e tests, so `-m "not e2e"` gives a quick run."""
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.e2e)


def world_settings(
    emulator: BotApiEmulator, staff_chat_id: int, database_url: str
) -> dict[str, str]:
    return {
        "TELEGRAM_BOT_TOKEN": emulator.token,
        "TELEGRAM_API_BASE_URL": emulator.base_url,
        "STAFF_CHAT_ID": str(staff_chat_id),
        "DATABASE_URL": database_url,
        "PSEUDONYM_SECRET": "e2e-secret",
        # The production default: PTB's rate limiter paces the bot, as the emulator's
        # Telegram limits (on by default) expect; a 429 the bot still meets is retried.
        "TELEGRAM_RATE_LIMIT": "on",
        "QUEUE_RENOTIFY_SECONDS": "3600",
        # Each world's console on a free port: worlds restart and run side by side.
        "CONSOLE_LISTEN": "127.0.0.1:0",
    }


async def start_world(
    tmp: Path,
    database_url: str | None = None,
    emulator: BotApiEmulator | None = None,
    *,
    groups: int = 1,
    env: dict[str, str] | None = None,
    emulator_options: dict[str, Any] | None = None,
) -> World:
    """A running bot on the emulator; pass the emulator of an earlier world to restart.

    `groups` staff groups (STAFF_CHAT_IDS): the staff of STAFF_IDS are in all of them, and
    with more than one, GROUP_TWO_STAFF_ID is in the second only. `env` overrides settings.
    """
    model = ensure_model()
    if emulator is None:
        emulator = BotApiEmulator(**(emulator_options or {}))
        await emulator.start()
        for user_id, name in zip(STAFF_IDS, ("Ravi", "Meera"), strict=True):
            await emulator.add_user(user_id, first_name=name, last_name="Care")
        await emulator.add_user(STRANGER_ID, first_name="Stranger")
        if groups > 1:
            await emulator.add_user(GROUP_TWO_STAFF_ID, first_name="Nisha", last_name="Care")
        for number in range(1, groups + 1):
            members = {uid: "member" for uid in STAFF_IDS}
            if number == 2:
                members[GROUP_TWO_STAFF_ID] = "member"
            name = "Care team" if number == 1 else f"Care team {number}"
            await emulator.create_group(name, forum=True, members=members)
    group_ids = [chat.id for chat in emulator.world.chats.values() if chat.type == "supergroup"]
    group_ids = group_ids[:groups]
    url = database_url or f"sqlite:///{tmp / 'e2e.db'}"
    values = world_settings(emulator, group_ids[0], url)
    values["STAFF_CHAT_IDS"] = ",".join(str(chat_id) for chat_id in group_ids)
    values.update(env or {})
    settings = load_settings(values)
    runtime = Runtime(settings, emulator.token, model_path=model)
    await runtime.start()
    return World(emulator, runtime, group_ids[0], STAFF_IDS, staff_chat_ids=tuple(group_ids))


async def stop_world(world: World) -> None:
    await world.runtime.stop()
    await world.emulator.stop()


@pytest_asyncio.fixture(scope="session")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    started = await start_world(tmp_path_factory.mktemp("e2e"))
    yield started
    await stop_world(started)
