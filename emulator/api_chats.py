"""Bot API methods about the bot, chats, members, profile texts and files."""

from __future__ import annotations

from typing import Any

from emulator.call import Call, Handler
from emulator.errors import bad_request
from emulator.members import chat_member_json


async def get_me(call: Call) -> dict[str, Any]:
    return call.bot.user


async def trivially_true(call: Call) -> bool:
    return True


async def get_chat(call: Call) -> dict[str, Any]:
    return call.world.chat(call.params.chat_id()).full_info_json()


def _known_user(call: Call, user_id: int) -> dict[str, Any]:
    for bot in call.world.bots.values():
        if bot.id == user_id:
            return call.bot_sender if bot is call.bot else bot.user
    user = call.world.users.get(user_id)
    if user is None:
        raise bad_request("user not found")
    return user


async def get_chat_member(call: Call) -> dict[str, Any]:
    chat = call.world.chat(call.params.chat_id())
    user_id = call.params.integer("user_id", required=True)
    assert user_id is not None
    user = _known_user(call, user_id)
    return chat_member_json(call.world.member_status(chat, user_id), user, chat.rights.get(user_id))


async def get_chat_administrators(call: Call) -> list[dict[str, Any]]:
    chat = call.world.chat(call.params.chat_id())
    return [
        chat_member_json(status, _known_user(call, user_id), chat.rights.get(user_id))
        for user_id, status in chat.members.items()
        if status in ("creator", "administrator")
    ]


def profile_setter(field: str) -> Handler:
    """setMyName / setMyDescription / setMyShortDescription, per language."""

    async def set_profile_text(call: Call) -> bool:
        language = call.params.string("language_code") or ""
        call.bot.profile[f"{field}|{language}"] = call.params.string(field) or ""
        return True

    return set_profile_text


def profile_getter(field: str) -> Handler:
    async def get_profile_text(call: Call) -> dict[str, str]:
        language = call.params.string("language_code") or ""
        return {field: call.bot.profile.get(f"{field}|{language}", "")}

    return get_profile_text


async def leave_chat(call: Call) -> bool:
    """The bot leaves a group, supergroup or channel; it can no longer post there."""
    chat = call.world.chat(call.params.chat_id())
    if chat.type == "private":
        raise bad_request("chat member status can't be changed in private chats")
    chat.members[call.bot.id] = "left"
    return True


async def get_file(call: Call) -> dict[str, Any]:
    file_id = call.params.string("file_id", required=True) or ""
    return call.world.file(file_id).file_json()


HANDLERS: dict[str, Handler] = {
    "getme": get_me,
    "logout": trivially_true,
    "close": trivially_true,
    "getchat": get_chat,
    "getchatmember": get_chat_member,
    "leavechat": leave_chat,
    "getchatadministrators": get_chat_administrators,
    "getfile": get_file,
    "setmyname": profile_setter("name"),
    "getmyname": profile_getter("name"),
    "setmydescription": profile_setter("description"),
    "getmydescription": profile_getter("description"),
    "setmyshortdescription": profile_setter("short_description"),
    "getmyshortdescription": profile_getter("short_description"),
    # Accepted and recorded in the call log; they change nothing the emulator models.
    "setchatmenubutton": trivially_true,
    "setmydefaultadministratorrights": trivially_true,
    "pinchatmessage": trivially_true,
    "unpinchatmessage": trivially_true,
    "unpinallchatmessages": trivially_true,
    "setmessagereaction": trivially_true,
}
