"""One real bot for the whole e2e session: emulator, Runtime, action server, trained model."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.config import load_settings
from bot.model import ensure_model
from bot.runtime import Runtime
from emulator.server import BotApiEmulator
from tests.e2e.harness import World

STAFF_IDS = (900_000_001, 900_000_002)
STRANGER_ID = 900_000_099


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
    tmp: Path, database_url: str | None = None, emulator: BotApiEmulator | None = None
) -> World:
    """A running bot on the emulator; pass the emulator of an earlier world to restart."""
    model = ensure_model()
    if emulator is None:
        emulator = BotApiEmulator()
        await emulator.start()
        for user_id, name in zip(STAFF_IDS, ("Ravi", "Meera"), strict=True):
            await emulator.add_user(user_id, first_name=name, last_name="Care")
        await emulator.add_user(STRANGER_ID, first_name="Stranger")
        await emulator.create_group(
            "Care team", forum=True, members={uid: "member" for uid in STAFF_IDS}
        )
    group_id = next(chat.id for chat in emulator.world.chats.values() if chat.type == "supergroup")
    url = database_url or f"sqlite:///{tmp / 'e2e.db'}"
    settings = load_settings(world_settings(emulator, group_id, url))
    runtime = Runtime(settings, emulator.token, model_path=model)
    await runtime.start()
    return World(emulator, runtime, group_id, STAFF_IDS)


async def stop_world(world: World) -> None:
    await world.runtime.stop()
    await world.emulator.stop()


@pytest_asyncio.fixture(scope="session")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    started = await start_world(tmp_path_factory.mktemp("e2e"))
    yield started
    await stop_world(started)
