"""The command menus Telegram shows: patients' in private chats, staff's in each staff group.

Read from content/commands.yml and set with setMyCommands once the bot is initialised
(PTB's post_init hook, which bot/runtime.py runs after `initialize`). A menu is a help, not
something the bot needs: if Telegram refuses or cannot be reached, that is logged and the
bot serves without it.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from telegram import (
    Bot,
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
)
from telegram.error import TelegramError
from telegram.ext import Application

from bot.paths import CONTENT
from translation.overlay import localized_file

log = logging.getLogger(__name__)
# Telegram's rules for a BotCommand (setMyCommands).
COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
MAX_DESCRIPTION = 256
# Long enough for a slow Telegram at start; the bot does not wait longer for a convenience.
MENU_TIMEOUT_SECONDS = 15.0


@dataclass(frozen=True)
class Menus:
    patients: tuple[BotCommand, ...]
    staff: tuple[BotCommand, ...]
    hidden: frozenset[str]

    def listed(self) -> frozenset[str]:
        """Every command name a menu offers or `hidden` accounts for."""
        return frozenset(c.command for c in (*self.patients, *self.staff)) | self.hidden


def _commands(section: str, entries: object) -> tuple[BotCommand, ...]:
    if not isinstance(entries, dict) or not entries:
        raise ValueError(f"commands.yml: {section} must map command names to descriptions")
    commands = []
    for name, description in entries.items():
        if not COMMAND_NAME.match(str(name)):
            raise ValueError(
                f"commands.yml: {section}.{name}: lowercase letters, digits, _; at most 32"
            )
        text = str(description or "").strip()
        if not 1 <= len(text) <= MAX_DESCRIPTION:
            raise ValueError(
                f"commands.yml: {section}.{name}: a description of 1 to 256 characters"
            )
        commands.append(BotCommand(str(name), text))
    return tuple(commands)


@lru_cache(maxsize=1)
def menus(path: Path = CONTENT / "commands.yml") -> Menus:
    """The menus of content/commands.yml, checked against Telegram's rules."""
    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    return Menus(
        patients=_commands("patients", data.get("patients")),
        staff=_commands("staff", data.get("staff")),
        hidden=frozenset(str(name) for name in data.get("hidden") or ()),
    )


def patient_menu(language: str) -> tuple[BotCommand, ...]:
    """The patients' menu in a language (content/hi/commands.yml over the English)."""
    return _commands("patients", localized_file("commands.yml", language).get("patients"))


async def _set(
    bot: Bot,
    commands: Sequence[BotCommand],
    scope: BotCommandScope,
    label: str,
    language_code: str | None = None,
) -> bool:
    try:
        await asyncio.wait_for(
            bot.set_my_commands(commands, scope=scope, language_code=language_code),
            MENU_TIMEOUT_SECONDS,
        )
    except (TelegramError, asyncio.TimeoutError) as error:
        log.warning(
            "command menu not set; the bot serves without it",
            extra={"menu": label, "error_type": type(error).__name__},
        )
        return False
    return True


async def set_command_menus(bot: Bot, staff_chat_ids: Sequence[int]) -> bool:
    """The patients' menu for every private chat and the staff menu in each staff group;
    False if any of them could not be set (each failure is logged)."""
    current = menus()
    done = await _set(bot, current.patients, BotCommandScopeAllPrivateChats(), "patients")
    # Telegram shows this one to patients whose app is in Hindi.
    hindi = patient_menu("hi")
    done = (
        await _set(bot, hindi, BotCommandScopeAllPrivateChats(), "patients, Hindi", "hi") and done
    )
    for number, chat_id in enumerate(staff_chat_ids, start=1):
        scope = BotCommandScopeChat(chat_id)
        done = await _set(bot, current.staff, scope, f"staff group {number}") and done
    if done:
        log.info("command menus set", extra={"staff_groups": len(staff_chat_ids)})
    return done


def menus_at_start(staff_chat_ids: Sequence[int]) -> Callable[[Application], Awaitable[None]]:
    """PTB's post_init: set the menus once the Application is initialised."""

    async def post_init(app: Application) -> None:
        await set_command_menus(app.bot, staff_chat_ids)

    return post_init
