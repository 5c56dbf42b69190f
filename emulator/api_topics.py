"""Bot API methods for forum topics: create, edit, close, reopen, delete."""

from __future__ import annotations

from typing import Any

from emulator import topics
from emulator.call import Call, Handler
from emulator.errors import bad_request
from emulator.members import has_right
from emulator.models import ChatInfo, ForumTopic

MAX_TOPIC_NAME = 128


def _forum(call: Call) -> ChatInfo:
    chat = call.world.chat(call.params.chat_id())
    if not chat.is_forum:
        raise bad_request("the chat is not a forum")
    return chat


def _topic(call: Call, chat: ChatInfo) -> ForumTopic:
    thread_id = call.params.integer("message_thread_id", required=True)
    topic = call.bot.chat_log(chat.id).topics.get(thread_id or 0)
    if topic is None:
        raise bad_request("message thread not found")
    return topic


def _may_manage(call: Call, chat: ChatInfo, topic: ForumTopic | None, right: str) -> bool:
    """Topic managers may; so may a topic's creator for its own topic (TDLib's rule)."""
    own = topic is not None and topic.creator_id == call.bot.id
    return own or has_right(chat, call.bot.id, right)


async def create_forum_topic(call: Call) -> dict[str, Any]:
    chat = _forum(call)
    if not has_right(chat, call.bot.id, "can_manage_topics"):
        raise bad_request("not enough rights to create a topic")
    name = call.params.string("name", required=True) or ""
    if len(name) > MAX_TOPIC_NAME:
        raise bad_request("TOPIC_TITLE_INVALID")
    topic, _ = topics.create(
        call.world, call.bot, chat, name, call.bot.id, call.bot_sender,
        call.params.integer("icon_color"), call.params.string("icon_custom_emoji_id"))
    return {"message_thread_id": topic.thread_id, "name": topic.name,
            "icon_color": topic.icon_color}


async def edit_forum_topic(call: Call) -> bool:
    chat = _forum(call)
    topic = _topic(call, chat)
    if not _may_manage(call, chat, topic, "can_manage_topics"):
        raise bad_request("not enough rights to edit the topic")
    name = call.params.string("name")
    emoji = call.params.string("icon_custom_emoji_id")
    if name is None and emoji is None:
        raise bad_request("TOPIC_NOT_MODIFIED")
    if name is not None:
        if len(name) > MAX_TOPIC_NAME:
            raise bad_request("TOPIC_TITLE_INVALID")
        topic.name = name
    if emoji is not None:
        topic.icon_custom_emoji_id = emoji or None
    edited = {k: v for k, v in (("name", name), ("icon_custom_emoji_id", emoji)) if v is not None}
    topics.service_message(call.world, call.bot, chat, topic, "forum_topic_edited", edited,
                           call.bot_sender)
    return True


def topic_closer(closed: bool) -> Handler:
    async def set_closed(call: Call) -> bool:
        chat = _forum(call)
        topic = _topic(call, chat)
        if not _may_manage(call, chat, topic, "can_manage_topics"):
            raise bad_request("not enough rights to close or open the topic")
        topics.set_closed(call.world, call.bot, chat, topic, closed, call.bot_sender)
        return True

    return set_closed


async def delete_forum_topic(call: Call) -> bool:
    chat = _forum(call)
    topic = _topic(call, chat)
    if not _may_manage(call, chat, topic, "can_delete_messages"):
        raise bad_request("not enough rights to delete the topic")
    # The bot's own deletion is known to its Bot API server at once: no stale answers.
    topics.delete(call.world, call.bot, chat, topic)
    return True


HANDLERS: dict[str, Handler] = {
    "createforumtopic": create_forum_topic,
    "editforumtopic": edit_forum_topic,
    "closeforumtopic": topic_closer(True),
    "reopenforumtopic": topic_closer(False),
    "deleteforumtopic": delete_forum_topic,
}
