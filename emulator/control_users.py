"""Control API: playing users (messages, edits, button presses, channel posts)."""

from __future__ import annotations

import hashlib
from typing import Any

from emulator.control_setup import SetupControls
from emulator.errors import ControlError
from emulator.formatting import command_entities
from emulator.models import FILE_KINDS, BotAccount, StoredMessage
from emulator.world import unix_now

PLACEHOLDER_MIME_TYPES = {"photo": "image/jpeg", "voice": "audio/ogg", "sticker": "image/webp",
                          "video": "video/mp4", "document": "application/octet-stream"}


class UserControls(SetupControls):
    async def send_user_message(
        self,
        user_id: int,
        text: str | None = None,
        chat_id: int | None = None,
        thread_id: int | None = None,
        reply_to_message_id: int | None = None,
        media: str | None = None,
        content: bytes | None = None,
        file_name: str | None = None,
        mime_type: str | None = None,
        caption: str | None = None,
        location: dict[str, float] | None = None,
        contact: dict[str, Any] | None = None,
        entities: list[dict[str, Any]] | None = None,
        token: str | None = None,
    ) -> dict[str, Any]:
        """A user writes to the bot (private chat by default, or a group/forum topic).

        `media` is one of photo/document/voice/sticker/video (with optional `content` bytes,
        `file_name`, `caption`); `location` {"latitude","longitude"} and `contact`
        {"phone_number","first_name"} make those kinds. Returns the Message as delivered.
        """
        bot = self.world.bot(token)
        user = self.world.user(user_id)
        chat = self.world.control_chat(chat_id if chat_id is not None else user_id)
        if chat.type == "private":
            if chat.id != user_id:
                raise ControlError("a user can only write in their own private chat")
            self.world.users_without_start.discard(user_id)
            if user_id in bot.blocked_by:
                await self.set_bot_blocked(user_id, False, token)
        elif chat.type == "channel":
            raise ControlError("use post_channel_message for channels")
        elif chat.members.get(user_id) in (None, "left"):
            chat.members[user_id] = "member"
        message = StoredMessage(message_id=bot.chat_log(chat.id).allocate_id(), chat=chat,
                                date=unix_now(), kind="text", sender=user)
        self._place_in_thread(bot, message, thread_id, reply_to_message_id)
        self._fill_content(message, text, media, content, file_name, mime_type, caption,
                           location, contact, entities)
        self.world.store_message(bot, message)
        if not self._hidden_by_privacy(bot, message, reply_to_message_id):
            self.world.push_update(bot, "message", message.to_json())
        return message.to_json()

    def _hidden_by_privacy(self, bot: BotAccount, message: StoredMessage,
                           reply_to_message_id: int | None) -> bool:
        """Privacy mode (set_privacy_mode): in a group where the bot is no administrator it
        gets only commands and explicit replies to its own messages, not the rest (a forum
        topic's messages included)."""
        chat = message.chat
        if chat.type not in ("group", "supergroup") or bot.user["can_read_all_group_messages"]:
            return False
        if chat.members.get(bot.id) in ("creator", "administrator"):
            return False
        if (message.text or message.caption or "").startswith("/"):
            return False
        replied = message.reply_to if reply_to_message_id is not None else None
        return not (replied is not None and replied.from_bot)

    async def edit_user_message(
        self,
        chat_id: int,
        message_id: int,
        text: str | None = None,
        caption: str | None = None,
        token: str | None = None,
    ) -> dict[str, Any]:
        """The user edits their message: an edited_message (edited_channel_post) update."""
        bot = self.world.bot(token)
        message = self.world.message(bot, chat_id, message_id)
        if message is None or message.from_bot:
            raise ControlError(f"no user message {message_id} in chat {chat_id}")
        if text is not None:
            message.text, message.entities = text, command_entities(text)
        if caption is not None:
            message.caption, message.caption_entities = caption, command_entities(caption)
        message.edit_date = unix_now()
        message.edit_count += 1
        kind = "edited_channel_post" if message.chat.type == "channel" else "edited_message"
        self.world.push_update(bot, kind, message.to_json())
        return message.to_json()

    async def press_button(
        self,
        chat_id: int,
        message_id: int,
        text: str | None = None,
        callback_data: str | None = None,
        user_id: int | None = None,
        token: str | None = None,
    ) -> str:
        """Presses an inline button (found by its text or callback_data) on a bot message.

        Queues a callback_query update whose message is the bot's message; returns the
        callback query id (see `callback_answers`).
        """
        bot = self.world.bot(token)
        message = self.world.message(bot, chat_id, message_id)
        if message is None or not message.from_bot:
            raise ControlError(f"no bot message {message_id} in chat {chat_id}")
        button = self._find_button(message, text, callback_data)
        if user_id is None:
            if message.chat.type != "private":
                raise ControlError("user_id is needed to press a button in a group")
            user_id = message.chat.id
        record = self.world.new_callback_query(bot, message, user_id, button["callback_data"])
        self.world.push_update(bot, "callback_query", {
            "id": record.id,
            "from": self.world.user(user_id),
            "message": message.to_json(),
            "chat_instance": str(int(hashlib.sha1(str(chat_id).encode()).hexdigest()[:15], 16)),
            "data": button["callback_data"],
        })
        return record.id

    async def post_channel_message(
        self, chat_id: int, text: str, token: str | None = None
    ) -> dict[str, Any]:
        """A post in a channel the bot is in: a channel_post update."""
        bot = self.world.bot(token)
        chat = self.world.control_chat(chat_id)
        if chat.type != "channel":
            raise ControlError(f"chat {chat_id} is not a channel")
        message = StoredMessage(message_id=bot.chat_log(chat.id).allocate_id(), chat=chat,
                                date=unix_now(), kind="text", sender_chat=chat.to_json(),
                                text=text, entities=command_entities(text))
        self.world.store_message(bot, message)
        self.world.push_update(bot, "channel_post", message.to_json())
        return message.to_json()


    # --- helpers ----------------------------------------------------------------------

    def _place_in_thread(self, bot: BotAccount, message: StoredMessage, thread_id: int | None,
                         reply_to_message_id: int | None) -> None:
        log = bot.chat_log(message.chat.id)
        if thread_id is not None:
            if message.chat.is_forum and thread_id not in log.topics:
                raise ControlError(f"no topic {thread_id} in chat {message.chat.id}")
            message.thread_id = thread_id
            message.is_topic_message = message.chat.is_forum
            message.reply_to = log.messages.get(thread_id) if message.chat.is_forum else None
        if reply_to_message_id is not None:
            replied = self.world.message(bot, message.chat.id, reply_to_message_id)
            if replied is None:
                raise ControlError(f"no message {reply_to_message_id} to reply to")
            message.reply_to = replied

    def _fill_content(self, message: StoredMessage, text: str | None, media: str | None,
                      content: bytes | None, file_name: str | None, mime_type: str | None,
                      caption: str | None, location: dict[str, float] | None,
                      contact: dict[str, Any] | None,
                      entities: list[dict[str, Any]] | None) -> None:
        if media is not None:
            if media not in FILE_KINDS:
                raise ControlError(f"media must be one of {sorted(FILE_KINDS)}")
            if media == "document" and file_name is None:
                file_name = "document.bin"
            message.kind = media
            message.file = self.world.store_file(
                media, content if content is not None else f"emulated {media}".encode(),
                file_name, mime_type or PLACEHOLDER_MIME_TYPES[media])
            if caption is not None:
                message.caption = caption
                message.caption_entities = entities or command_entities(caption)
        elif location is not None:
            message.kind = "location"
            message.extra["location"] = {"latitude": float(location["latitude"]),
                                         "longitude": float(location["longitude"])}
        elif contact is not None:
            message.kind = "contact"
            message.extra["contact"] = {"first_name": "Contact", **contact}
        elif text:
            message.text = text
            message.entities = entities if entities is not None else command_entities(text)
        else:
            raise ControlError("a user message needs text, media, location or contact")

    @staticmethod
    def _find_button(message: StoredMessage, text: str | None,
                     callback_data: str | None) -> dict[str, Any]:
        if text is None and callback_data is None:
            raise ControlError("give the button's text or its callback_data")
        rows = (message.reply_markup or {}).get("inline_keyboard", [])
        for row in rows:
            for button in row:
                if (text is None or button.get("text") == text) and (
                        callback_data is None or button.get("callback_data") == callback_data):
                    if "callback_data" not in button:
                        raise ControlError(f"button {button.get('text')!r} has no callback_data")
                    return button
        available = [button.get("text") for row in rows for button in row]
        raise ControlError(
            f"no such button on message {message.message_id}; buttons: {available}")
