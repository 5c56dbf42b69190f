"""Command menus per scope and language, as Telegram stores them and shows them to users."""

from __future__ import annotations

import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    BotCommandScopeChatAdministrators,
    BotCommandScopeChatMember,
)
from telegram.error import BadRequest

from emulator import BotApiEmulator
from tests.emulator.conftest import PATIENT_ID

STAFF_ID = 800_001
PATIENT_MENU = [BotCommand("start", "Begin"), BotCommand("mydata", "Your data")]
STAFF_MENU = [BotCommand("queue", "Cases waiting"), BotCommand("close", "Close this case")]


async def test_each_scope_and_language_keeps_its_own_list(
    bot: Bot, emulator: BotApiEmulator, patient: dict
) -> None:
    group = (await emulator.create_group("Care team", forum=True,
                                         members={STAFF_ID: "member"}))["id"]
    assert await bot.set_my_commands(PATIENT_MENU, scope=BotCommandScopeAllPrivateChats())
    assert await bot.set_my_commands(STAFF_MENU, scope=BotCommandScopeChat(group))
    hindi = [BotCommand("start", "शुरू करें")]
    assert await bot.set_my_commands(
        hindi, scope=BotCommandScopeAllPrivateChats(), language_code="hi")

    assert await bot.get_my_commands(scope=BotCommandScopeAllPrivateChats()) == tuple(PATIENT_MENU)
    assert await bot.get_my_commands(scope=BotCommandScopeChat(group)) == tuple(STAFF_MENU)
    assert await bot.get_my_commands() == ()  # default scope: nothing set, no fallback
    assert await bot.get_my_commands(scope=BotCommandScopeAllGroupChats()) == ()
    assert (await bot.get_my_commands(scope=BotCommandScopeAllPrivateChats(),
                                      language_code="hi"))[0].description == "शुरू करें"

    # What people see: the first list set, in Telegram's order.
    staff_sees = await emulator.visible_commands(group, STAFF_ID)
    assert [c["command"] for c in staff_sees] == ["queue", "close"]
    patient_sees = await emulator.visible_commands(PATIENT_ID, PATIENT_ID)
    assert [c["command"] for c in patient_sees] == ["start", "mydata"]
    assert (await emulator.visible_commands(PATIENT_ID, PATIENT_ID, "hi"))[0]["command"] == "start"
    other = (await emulator.create_group("Elsewhere"))["id"]
    assert await emulator.visible_commands(other, STAFF_ID) == []

    assert await bot.delete_my_commands(scope=BotCommandScopeChat(group))
    assert await bot.get_my_commands(scope=BotCommandScopeChat(group)) == ()
    assert await emulator.commands({"type": "all_private_chats"}) == [
        {"command": "start", "description": "Begin"},
        {"command": "mydata", "description": "Your data"},
    ]


async def test_member_and_admin_scopes_come_first_for_them(
    bot: Bot, emulator: BotApiEmulator
) -> None:
    group = (await emulator.create_group(
        "Care team", members={STAFF_ID: "administrator", 800_002: "member"}))["id"]
    await bot.set_my_commands(STAFF_MENU, scope=BotCommandScopeChat(group))
    await bot.set_my_commands([BotCommand("stats", "Figures")],
                              scope=BotCommandScopeChatAdministrators(group))
    await bot.set_my_commands([BotCommand("note", "A note")],
                              scope=BotCommandScopeChatMember(group, 800_002))
    assert (await emulator.visible_commands(group, STAFF_ID))[0]["command"] == "stats"
    assert (await emulator.visible_commands(group, 800_002))[0]["command"] == "note"


@pytest.mark.parametrize(
    ("commands", "scope", "error"),
    [
        ([BotCommand("Start", "Begin")], None, "bot_command_invalid"),
        ([BotCommand("x" * 33, "Too long")], None, "command length must not exceed 32"),
        ([BotCommand("help", "")], None, "command description must be non-empty"),
        ([BotCommand("help", "d" * 257)], None, "command description length must not exceed 256"),
        ([BotCommand("help", "Help")], BotCommandScopeChat(-100999), "chat not found"),
        ([BotCommand("help", "Help")], BotCommandScopeChatAdministrators(PATIENT_ID),
         "can't use specified scope in private chats"),
    ],
)
async def test_telegram_refuses_bad_commands_and_scopes(
    bot: Bot, emulator: BotApiEmulator, patient: dict, commands: list, scope: object, error: str
) -> None:
    with pytest.raises(BadRequest, match=f"(?i){error}"):
        await bot.set_my_commands(commands, scope=scope)


async def test_commands_survive_a_reset(bot: Bot, emulator: BotApiEmulator) -> None:
    await bot.set_my_commands(PATIENT_MENU, scope=BotCommandScopeAllPrivateChats())
    await emulator.reset()
    assert await bot.get_my_commands(scope=BotCommandScopeAllPrivateChats()) == tuple(PATIENT_MENU)
