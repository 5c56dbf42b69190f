"""Bot API methods about the bot, chats, members, forum topics, commands and files."""

from __future__ import annotations

import json
import re
from typing import Any

from emulator.call import Call, Handler
from emulator.errors import bad_request
from emulator.models import ChatInfo, ForumTopic, StoredMessage
from emulator.world import unix_now

DEFAULT_TOPIC_COLOR = 0x6FB9F0
COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
ADMIN_RIGHTS = (
    "can_manage_chat", "can_delete_messages", "can_manage_video_chats", "can_restrict_members",
    "can_promote_members", "can_change_info", "can_invite_users", "can_post_stories",
    "can_edit_stories", "can_delete_stories", "can_pin_messages", "can_manage_topics",
)
RESTRICTED_RIGHTS = (
    "can_change_info", "can_invite_users", "can_pin_messages", "can_send_messages",
    "can_send_polls", "can_send_other_messages", "can_add_web_page_previews",
    "can_manage_topics", "can_send_audios", "can_send_documents", "can_send_photos",
    "can_send_videos", "can_send_video_notes", "can_send_voice_notes", "can_edit_tag",
    "can_react_to_messages",
)


def chat_member_json(status: str, user: dict[str, Any]) -> dict[str, Any]:
    """A ChatMember object with the fields PTB requires for each status."""
    member: dict[str, Any] = {"status": status, "user": user}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update({"can_be_edited": False, "is_anonymous": False})
        member.update(dict.fromkeys(ADMIN_RIGHTS, True))
    elif status == "restricted":
        member.update({"is_member": True, "until_date": 0})
        member.update(dict.fromkeys(RESTRICTED_RIGHTS, False))
    elif status == "kicked":
        member["until_date"] = 0
    return member


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
    return chat_member_json(call.world.member_status(chat, user_id), user)


async def get_chat_administrators(call: Call) -> list[dict[str, Any]]:
    chat = call.world.chat(call.params.chat_id())
    return [
        chat_member_json(status, _known_user(call, user_id))
        for user_id, status in chat.members.items()
        if status in ("creator", "administrator")
    ]


def _forum(call: Call) -> ChatInfo:
    chat = call.world.chat(call.params.chat_id())
    if not chat.is_forum:
        raise bad_request("the chat is not a forum")
    if chat.members.get(call.bot.id) not in ("administrator", "creator"):
        raise bad_request("not enough rights to manage topics")
    return chat


def _topic(call: Call) -> ForumTopic:
    chat = _forum(call)
    thread_id = call.params.integer("message_thread_id", required=True)
    topic = call.bot.chat_log(chat.id).topics.get(thread_id or 0)
    if topic is None:
        raise bad_request("message thread not found")
    return topic


async def create_forum_topic(call: Call) -> dict[str, Any]:
    chat = _forum(call)
    name = call.params.string("name", required=True) or ""
    if len(name) > 128:
        raise bad_request("TOPIC_TITLE_INVALID")
    log = call.bot.chat_log(chat.id)
    if log.next_message_id == 1:
        log.allocate_id()  # thread 1 is the forum's General topic
    thread_id = log.allocate_id()
    topic = ForumTopic(
        thread_id=thread_id,
        name=name,
        icon_color=call.params.integer("icon_color") or DEFAULT_TOPIC_COLOR,
        icon_custom_emoji_id=call.params.string("icon_custom_emoji_id"),
    )
    log.topics[thread_id] = topic
    created = {"name": topic.name, "icon_color": topic.icon_color}
    # The topic's service message: its id is the thread id, as in Telegram.
    log.messages[thread_id] = StoredMessage(
        message_id=thread_id, chat=chat, date=unix_now(), kind="forum_topic_created",
        sender=call.bot_sender, thread_id=thread_id, is_topic_message=True,
        extra={"forum_topic_created": created},
    )
    call.world.record_event(call.bot, "topic_created", chat_id=chat.id,
                            message_thread_id=thread_id, name=name)
    return {"message_thread_id": thread_id, **created}


async def edit_forum_topic(call: Call) -> bool:
    topic = _topic(call)
    name = call.params.string("name")
    emoji = call.params.string("icon_custom_emoji_id")
    if name is None and emoji is None:
        raise bad_request("TOPIC_NOT_MODIFIED")
    if name is not None:
        topic.name = name
    if emoji is not None:
        topic.icon_custom_emoji_id = emoji or None
    return True


def topic_closer(closed: bool) -> Handler:
    async def set_closed(call: Call) -> bool:
        topic = _topic(call)
        if topic.closed == closed:
            raise bad_request("TOPIC_NOT_MODIFIED")
        topic.closed = closed
        return True

    return set_closed


async def delete_forum_topic(call: Call) -> bool:
    topic = _topic(call)
    chat_id = call.params.chat_id()
    assert isinstance(chat_id, int)
    log = call.bot.chat_log(chat_id)
    del log.topics[topic.thread_id]
    for message in log.messages.values():
        if message.thread_id == topic.thread_id:
            message.deleted = True
    return True


def _commands_key(call: Call) -> str:
    scope = call.params.obj("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True) + "|" + (call.params.string("language_code") or "")


async def set_my_commands(call: Call) -> bool:
    commands = call.params.obj("commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("commands must be an array of up to 100 BotCommand")
    for command in commands:
        if not COMMAND_NAME.match(str(command.get("command", ""))):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description", ""))) <= 256:
            raise bad_request("command description must be non-empty")
    call.bot.commands[_commands_key(call)] = [
        {"command": c["command"], "description": c["description"]} for c in commands
    ]
    return True


async def get_my_commands(call: Call) -> list[dict[str, Any]]:
    return call.bot.commands.get(_commands_key(call), [])


async def delete_my_commands(call: Call) -> bool:
    call.bot.commands.pop(_commands_key(call), None)
    return True


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
    "createforumtopic": create_forum_topic,
    "editforumtopic": edit_forum_topic,
    "closeforumtopic": topic_closer(True),
    "reopenforumtopic": topic_closer(False),
    "deleteforumtopic": delete_forum_topic,
    "setmycommands": set_my_commands,
    "getmycommands": get_my_commands,
    "deletemycommands": delete_my_commands,
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
