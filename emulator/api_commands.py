"""setMyCommands / getMyCommands / deleteMyCommands: command menus per scope and language.

Validation and error wording follow the Bot API server and TDLib (telegram-bot-api
`get_bot_command_scope`, td `BotCommand.cpp`, `BotCommandScope.cpp`). `visible_commands`
is Telegram's documented order for which list a user sees ("Determining list of commands").
"""

from __future__ import annotations

import re
from typing import Any

from emulator.call import Call, Handler
from emulator.errors import ApiError, bad_request
from emulator.models import BotAccount, ChatInfo
from emulator.world import World

COMMAND_NAME = re.compile(r"^[a-z0-9_]+$")
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")
MAX_COMMANDS = 100
MAX_COMMAND_LENGTH = 32
MAX_DESCRIPTION_LENGTH = 256
GLOBAL_SCOPES = ("default", "all_private_chats", "all_group_chats", "all_chat_administrators")
CHAT_SCOPES = ("chat", "chat_administrators", "chat_member")
# (scope type, chat id, user id, language code)
ScopeKey = tuple[str, int, int, str]


def scope_key(world: World, scope: Any, language_code: str | None) -> ScopeKey:
    """A BotCommandScope and language as one key, or Telegram's 400 for a bad one."""
    language = language_code or ""
    if language and not LANGUAGE_CODE.match(language):
        raise bad_request("invalid language code specified")
    scope = scope if scope is not None else {"type": "default"}
    if not isinstance(scope, dict):
        raise bad_request("can't parse BotCommandScope: BotCommandScope must be an Object")
    kind = scope.get("type")
    if kind in GLOBAL_SCOPES:
        return kind, 0, 0, language
    if kind not in CHAT_SCOPES:
        raise bad_request("can't parse BotCommandScope: Unsupported type specified")
    if scope.get("chat_id") in (None, ""):
        raise bad_request("can't parse BotCommandScope: Empty chat_id specified")
    chat = _scope_chat(world, scope["chat_id"])
    if chat.type == "channel":
        raise bad_request("can't change commands in channel chats")
    if chat.type == "private" and kind != "chat":
        raise bad_request("can't use specified scope in private chats")
    user_id = 0
    if kind == "chat_member":
        try:
            user_id = int(scope.get("user_id") or 0)
        except (TypeError, ValueError):
            user_id = 0
        if user_id <= 0:
            raise bad_request("can't parse BotCommandScope: Invalid user_id specified")
        if user_id not in world.users:
            raise bad_request("user not found")
    return kind, chat.id, user_id, language


def _scope_chat(world: World, chat_id: Any) -> ChatInfo:
    if isinstance(chat_id, str) and not chat_id.startswith("@"):
        try:
            chat_id = int(chat_id)
        except ValueError:
            raise bad_request("chat not found") from None
    return world.chat(chat_id)


def _commands(value: Any) -> list[dict[str, str]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise bad_request("Expected an Array of BotCommand")
    if len(value) > MAX_COMMANDS:
        raise bad_request("too many commands specified")
    commands = []
    for entry in value:
        if not isinstance(entry, dict) or "command" not in entry or "description" not in entry:
            raise bad_request("can't parse BotCommand: expected an Object")
        name = str(entry["command"]).strip().removeprefix("/")
        description = str(entry["description"]).strip()
        if not name:
            raise bad_request("command must be non-empty")
        if len(name) > MAX_COMMAND_LENGTH:
            raise bad_request(f"command length must not exceed {MAX_COMMAND_LENGTH}")
        if not COMMAND_NAME.match(name):
            raise bad_request("BOT_COMMAND_INVALID")
        if not description:
            raise bad_request("command description must be non-empty")
        if len(description) > MAX_DESCRIPTION_LENGTH:
            raise bad_request(
                f"command description length must not exceed {MAX_DESCRIPTION_LENGTH}")
        commands.append({"command": name, "description": description})
    return commands


def _key(call: Call) -> ScopeKey:
    return scope_key(call.world, call.params.obj("scope"), call.params.string("language_code"))


async def set_my_commands(call: Call) -> bool:
    commands = _commands(call.params.obj("commands"))
    key = _key(call)
    if commands:
        call.bot.commands[key] = commands
    else:  # an empty list is how a bot clears a scope, as deleteMyCommands does
        call.bot.commands.pop(key, None)
    return True


async def get_my_commands(call: Call) -> list[dict[str, str]]:
    """Exactly the list set for this scope and language; no fallback, like Telegram."""
    return call.bot.commands.get(_key(call), [])


async def delete_my_commands(call: Call) -> bool:
    call.bot.commands.pop(_key(call), None)
    return True


def visible_commands(
    world: World, bot: BotAccount, chat_id: int, user_id: int | None, language_code: str | None
) -> list[dict[str, str]]:
    """The menu a user sees in a chat: the first list set, in Telegram's documented order."""
    try:
        chat = world.chat(chat_id)
    except ApiError:
        return []
    if chat.type == "private":
        order = [("chat", chat.id, 0), ("all_private_chats", 0, 0), ("default", 0, 0)]
    else:
        admin = user_id is not None and chat.members.get(user_id) in ("creator", "administrator")
        order = [("chat_member", chat.id, user_id or 0)]
        order += [("chat_administrators", chat.id, 0)] if admin else []
        order += [("chat", chat.id, 0)]
        order += [("all_chat_administrators", 0, 0)] if admin else []
        order += [("all_group_chats", 0, 0), ("default", 0, 0)]
    languages = [language_code, ""] if language_code else [""]
    for kind, scope_chat, scope_user in order:
        for language in languages:
            found = bot.commands.get((kind, scope_chat, scope_user, language))
            if found:
                return found
    return []


HANDLERS: dict[str, Handler] = {
    "setmycommands": set_my_commands,
    "getmycommands": get_my_commands,
    "deletemycommands": delete_my_commands,
}
