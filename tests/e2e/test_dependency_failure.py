"""A dependency down: the patient is told to wait, the message is kept and answered later."""

from __future__ import annotations

import asyncio
import logging
from functools import partial
from pathlib import Path

import pytest
from telegram import Bot, Chat, Message, Update, User

from bot.actionserver import ActionServer
from bot.content import message
from bot.inbox import DurableUpdateQueue
from emulator.server import BotApiEmulator
from storage import Database, migrate
from storage.durable import DurableStore
from tests.e2e.harness import World, joined, texts


async def test_action_server_down_then_back_answers_once_after_a_notice(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    patient = await world.new_patient("Ravi", "P")
    runtime = world.runtime
    assert runtime.action_server is not None
    port = runtime.action_server.port
    await runtime.action_server.stop()
    caplog.set_level(logging.ERROR, logger="bot.gateway")
    try:
        await world.emulator.send_user_message(
            patient.user_id, "is liposuction cosmetic or plastic?"
        )
        notice = await world.emulator.wait_for_bot_messages(patient.chat_id, 1, timeout=30)
        assert notice[0]["plain_text"] == message("dialogue_unavailable").strip()
    finally:
        runtime.action_server = ActionServer(port=port)
        await runtime.action_server.start()
    replies = await patient._new_replies()
    assert texts(replies)[0] == message("dialogue_unavailable").strip()
    answers = replies[1:]
    assert answers and "cosmetic" in joined(answers).lower()
    assert sum("cosmetic" in t.lower() for t in texts(answers)) == 1, "answered more than once"
    errors = [r for r in caplog.records if r.name == "bot.gateway" and r.levelno == logging.ERROR]
    assert len(errors) == 1 and "dialogue unavailable" in errors[0].getMessage()


async def test_database_down_keeps_the_update_with_telegram_and_tells_the_patient(
    tmp_path: Path,
) -> None:
    path = tmp_path / "gone" / "triage.db"
    url = f"sqlite:///{path}"
    await asyncio.to_thread(migrate, url)
    database = Database(url)
    notice = partial(message, "dialogue_unavailable")
    queue = DurableUpdateQueue(DurableStore(database), notice=notice)
    async with BotApiEmulator() as emulator:
        await emulator.add_user(4242, first_name="Asha")
        bot = Bot(emulator.token, base_url=emulator.bot_base_url)
        async with bot:
            chat = Chat(4242, Chat.PRIVATE)
            user = User(4242, "Asha", False)
            update = Update(1, message=Message(7, None, chat, from_user=user, text="hello"))  # type: ignore[arg-type]
            update.set_bot(bot)
            await database.dispose()
            path.unlink()
            path.mkdir()  # a directory where the database was: it cannot be opened
            with pytest.raises(Exception):  # noqa: B017 (whatever the driver raises)
                await queue.put(update)
            with pytest.raises(Exception):  # noqa: B017
                await queue.put(update)
            told = await emulator.bot_messages(4242)
    assert queue.empty(), "an update that could not be stored must not be handled"
    assert [m["plain_text"] for m in told] == [message("dialogue_unavailable").strip()]
    # Written in Devanagari: told in Hindi, though the patient's record cannot be read.
    await emulator_told_in_hindi(queue, tmp_path)
    await database.dispose()


async def emulator_told_in_hindi(queue: DurableUpdateQueue, tmp_path: Path) -> None:
    async with BotApiEmulator() as emulator:
        await emulator.add_user(4343, first_name="Meena", language_code="en")
        bot = Bot(emulator.token, base_url=emulator.bot_base_url)
        async with bot:
            chat = Chat(4343, Chat.PRIVATE)
            user = User(4343, "Meena", False, language_code="en")
            text = "मुझे दूसरी राय चाहिए"
            update = Update(2, message=Message(8, None, chat, from_user=user, text=text))  # type: ignore[arg-type]
            update.set_bot(bot)
            with pytest.raises(Exception):  # noqa: B017 (the database is still gone)
                await queue.put(update)
            told = await emulator.bot_messages(4343)
    assert [m["plain_text"] for m in told] == [message("dialogue_unavailable", "hi").strip()]
