"""Forum topics: who may post where, and what closing or deleting one does.

Shared by the Bot API (the bot closes a topic) and the control API (a staff member does).
The rules follow the Bot API server and TDLib (tdlib/telegram-bot-api `check_message_topic`,
tdlib/td `ForumTopicManager::can_send_message_to_forum_topic`): see emulator/README.md.
"""

from __future__ import annotations

import time
from typing import Any

from emulator.errors import bad_request
from emulator.members import has_right
from emulator.models import BotAccount, ChatInfo, ChatLog, ForumTopic, StoredMessage
from emulator.world import World, unix_now

GENERAL_TOPIC_ID = 1
DEFAULT_TOPIC_COLOR = 0x6FB9F0


def topic_to_post_in(bot: BotAccount, chat: ChatInfo, thread_id: int) -> ForumTopic:
    """The topic a bot's message goes to in a forum, or Telegram's 400 saying why not."""
    log = bot.chat_log(chat.id)
    topic = log.topics.get(thread_id)
    if topic is None:
        # The General topic is not named by id: Telegram refuses message_thread_id=1 too.
        stale_until = log.deleted_topics.get(thread_id)
        if stale_until is not None and time.monotonic() < stale_until:
            raise bad_request("TOPIC_DELETED")
        raise bad_request("message thread not found")
    if topic.closed and not may_post_in_closed(bot, chat, topic):
        raise bad_request("TOPIC_CLOSED")
    return topic


def create(
    world: World, bot: BotAccount, chat: ChatInfo, name: str, creator_id: int,
    sender: dict[str, Any], icon_color: int | None = None, icon_custom_emoji_id: str | None = None,
) -> tuple[ForumTopic, StoredMessage]:
    """A new topic and its forum_topic_created message, whose id is the thread id."""
    log = bot.chat_log(chat.id)
    if log.next_message_id == GENERAL_TOPIC_ID:
        log.allocate_id()  # thread 1 is the forum's General topic
    thread_id = log.allocate_id()
    topic = ForumTopic(thread_id=thread_id, name=name,
                       icon_color=icon_color or DEFAULT_TOPIC_COLOR,
                       icon_custom_emoji_id=icon_custom_emoji_id, creator_id=creator_id)
    log.topics[thread_id] = topic
    created = {"name": topic.name, "icon_color": topic.icon_color}
    message = StoredMessage(
        message_id=thread_id, chat=chat, date=unix_now(), kind="forum_topic_created",
        sender=sender, thread_id=thread_id, is_topic_message=True,
        extra={"forum_topic_created": created},
    )
    log.messages[thread_id] = message
    world.record_event(bot, "topic_created", chat_id=chat.id, message_thread_id=thread_id,
                       name=name)
    return topic, message


def may_post_in_closed(bot: BotAccount, chat: ChatInfo, topic: ForumTopic) -> bool:
    """A closed topic still takes messages from its creator and from topic managers."""
    return topic.creator_id == bot.id or has_right(chat, bot.id, "can_manage_topics")


def service_message(
    world: World, bot: BotAccount, chat: ChatInfo, topic: ForumTopic, kind: str,
    content: dict[str, Any], sender: dict[str, Any],
) -> StoredMessage:
    """A service message in the topic (forum_topic_closed, ...), as Telegram posts one."""
    log = bot.chat_log(chat.id)
    message = StoredMessage(
        message_id=log.allocate_id(), chat=chat, date=unix_now(), kind=kind, sender=sender,
        thread_id=topic.thread_id, is_topic_message=True,
        reply_to=log.messages.get(topic.thread_id), extra={kind: content},
    )
    log.messages[message.message_id] = message
    return message


def set_closed(
    world: World, bot: BotAccount, chat: ChatInfo, topic: ForumTopic, closed: bool,
    sender: dict[str, Any],
) -> StoredMessage:
    """Close or reopen: the flag and its service message (the caller decides the update)."""
    if topic.closed == closed:
        raise bad_request("TOPIC_NOT_MODIFIED")
    topic.closed = closed
    kind = "forum_topic_closed" if closed else "forum_topic_reopened"
    message = service_message(world, bot, chat, topic, kind, {}, sender)
    world.record_event(bot, "topic_closed" if closed else "topic_reopened", chat_id=chat.id,
                       message_thread_id=topic.thread_id)
    return message


def delete(world: World, bot: BotAccount, chat: ChatInfo, topic: ForumTopic,
           stale_seconds: float = 0.0) -> None:
    """The topic and every message in it go; no update tells the bot (none does in Telegram).

    For `stale_seconds` sends into it answer TOPIC_DELETED (Telegram's own error, while the
    Bot API server still holds the topic in its cache), then "message thread not found"."""
    log: ChatLog = bot.chat_log(chat.id)
    del log.topics[topic.thread_id]
    log.deleted_topics[topic.thread_id] = time.monotonic() + max(0.0, stale_seconds)
    for message in log.messages.values():
        if message.thread_id == topic.thread_id:
            message.deleted = True
    world.record_event(bot, "topic_deleted", chat_id=chat.id, message_thread_id=topic.thread_id)
