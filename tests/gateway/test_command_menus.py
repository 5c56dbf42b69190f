"""The command menus: read from content/commands.yml, set per scope, never in the way."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import pytest
from telegram import Bot, BotCommandScopeAllPrivateChats, BotCommandScopeChat
from telegram.ext import CommandHandler

from bot.app import build_application
from bot.commands import menus, set_command_menus
from bot.config import load_settings
from emulator import BotApiEmulator
from storage import Database, Repository
from storage.durable import DurableStore

STAFF_CHAT_ID = -1_001_000_000_001


def test_the_menus_offer_what_the_issue_asks() -> None:
    current = menus()
    patients = [c.command for c in current.patients]
    staff = [c.command for c in current.staff]
    assert patients[:5] == ["start", "help", "privacy", "mydata", "delete"]
    assert {"queue", "release", "close", "note", "canned", "reply", "stats"} <= set(staff)
    assert not set(patients) & set(staff)


def test_every_command_the_bot_handles_is_in_a_menu_or_hidden(tmp_path: Path) -> None:
    """So a new command is one line in content/commands.yml, and forgetting it fails here."""
    settings = load_settings({
        "TELEGRAM_BOT_TOKEN": "123456789:AAEmulatorTestTokenForLocalUseOnly00",
        "STAFF_CHAT_ID": str(STAFF_CHAT_ID),
        "PSEUDONYM_SECRET": "menus",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'menus.db'}",
    }, dotenv=None)
    database = Database(settings.database_url)
    app = build_application(settings, settings.bot_token or "", None,  # type: ignore[arg-type]
                            Repository(database, settings.pseudonym_secret),
                            DurableStore(database))
    handled = {
        command
        for handlers in app.handlers.values()
        for handler in handlers
        if isinstance(handler, CommandHandler)
        for command in handler.commands
    }
    assert "start" in handled and "queue" in handled
    assert handled - menus().listed() == set(), "add these to content/commands.yml"
    assert app.post_init is not None  # the menus are set when the Application starts


@pytest.mark.parametrize(
    ("yaml_text", "problem"),
    [
        ("patients: {Start: Begin}\nstaff: {queue: Cases}\n", "patients.Start"),
        ("patients: {start: ''}\nstaff: {queue: Cases}\n", "description of 1 to 256"),
        (f"patients: {{start: {'x' * 257}}}\nstaff: {{queue: Cases}}\n", "1 to 256"),
        ("patients: {start: Begin}\n", "staff must map"),
    ],
)
def test_content_that_telegram_would_refuse_is_refused_at_load(
    tmp_path: Path, yaml_text: str, problem: str
) -> None:
    path = tmp_path / "commands.yml"
    path.write_text(yaml_text, encoding="utf-8")
    with pytest.raises(ValueError, match=problem):
        menus.__wrapped__(path)


async def test_menus_set_per_scope_on_the_emulator() -> None:
    async with BotApiEmulator() as emulator:
        first = (await emulator.create_group("Care team", forum=True))["id"]
        second = (await emulator.create_group("Care team 2", forum=True))["id"]
        async with Bot(emulator.token, base_url=emulator.bot_base_url) as bot:
            assert await set_command_menus(bot, [first, second])
            private = await bot.get_my_commands(scope=BotCommandScopeAllPrivateChats())
            assert [c.command for c in private] == [c.command for c in menus().patients]
            for group in (first, second):
                staff = await bot.get_my_commands(scope=BotCommandScopeChat(group))
                assert [c.command for c in staff] == [c.command for c in menus().staff]
            assert await bot.get_my_commands() == ()  # nothing in the default scope


async def test_a_refused_menu_is_logged_and_the_others_still_set(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with BotApiEmulator() as emulator:
        group = (await emulator.create_group("Care team", forum=True))["id"]
        async with Bot(emulator.token, base_url=emulator.bot_base_url) as bot:
            await emulator.fail_next("setMyCommands", status=500)
            with caplog.at_level(logging.WARNING, logger="bot.commands"):
                assert not await set_command_menus(bot, [group, -100_999])
            # The patients' menu failed (500), the unknown group too; the real group is set.
            assert await emulator.commands({"type": "chat", "chat_id": group})
            assert await emulator.commands({"type": "all_private_chats"}) == []
    warnings = [r for r in caplog.records if r.name == "bot.commands"]
    assert [getattr(r, "menu", None) for r in warnings] == ["patients", "staff group 2"]
    assert all(getattr(r, "error_type", None) for r in warnings)


async def test_telegram_unreachable_at_start_does_not_stop_the_bot() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    bot = Bot("123456789:AAEmulatorTestTokenForLocalUseOnly00",
              base_url=f"http://127.0.0.1:{closed_port}/bot")
    try:
        assert await set_command_menus(bot, [STAFF_CHAT_ID]) is False
    finally:
        await bot.shutdown()
