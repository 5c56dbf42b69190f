"""The control API tests and other processes use to play users and read what the bot did.

Every method is async and returns JSON-able values, so `emulator.client.EmulatorClient`
offers the same methods over HTTP (`POST {base}/_emu/{method}`).
"""

from __future__ import annotations

import hashlib
from typing import Any

from emulator.api_chats import chat_member_json
from emulator.errors import ControlError, EmulatorTimeout
from emulator.formatting import command_entities
from emulator.limits import Fault
from emulator.models import FILE_KINDS, BotAccount, ChatInfo, StoredMessage
from emulator.world import World, unix_now

MEMBER_STATUSES = frozenset({"creator", "administrator", "member", "restricted", "left", "kicked"})
PLACEHOLDER_MIME_TYPES = {"photo": "image/jpeg", "voice": "audio/ogg", "sticker": "image/webp",
                          "video": "video/mp4", "document": "application/octet-stream"}


class Controls:
    """Mixed into `BotApiEmulator`; `token=None` everywhere means the first (usual) bot."""

    world: World

    # --- setting up the world ---------------------------------------------------------

    async def add_user(
        self,
        user_id: int,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        has_started_bot: bool = True,
    ) -> dict[str, Any]:
        """Creates or replaces a user; returns the Telegram User object."""
        return self.world.add_user(user_id, first_name, last_name, username, language_code,
                                   has_started_bot)

    async def create_group(
        self,
        title: str,
        chat_id: int | None = None,
        supergroup: bool = True,
        forum: bool = False,
        username: str | None = None,
        members: dict[int, str] | None = None,
        bot_status: str = "administrator",
    ) -> dict[str, Any]:
        """A group (a -100… supergroup by default, a forum if asked); returns the Chat."""
        if forum and not supergroup:
            raise ControlError("only supergroups can be forums")
        chat_type = "supergroup" if supergroup else "group"
        chat = self.world.add_chat(chat_id or self.world.next_group_id(supergroup), chat_type,
                                   title, username, forum)
        for bot in self.world.bots.values():
            chat.members[bot.id] = self._status(bot_status)
        for user_id, status in (members or {}).items():
            self.world.user(int(user_id))
            chat.members[int(user_id)] = self._status(status)
        return chat.to_json()

    async def create_channel(
        self, title: str, chat_id: int | None = None, username: str | None = None
    ) -> dict[str, Any]:
        chat = self.world.add_chat(chat_id or self.world.next_group_id(True), "channel", title,
                                   username)
        return chat.to_json()

    async def set_member_status(self, chat_id: int, user_id: int, status: str) -> None:
        """What getChatMember answers for this user (or bot) in this group."""
        chat = self.world.control_chat(chat_id)
        if chat.type == "private":
            raise ControlError("membership applies to groups and channels")
        if not any(bot.id == user_id for bot in self.world.bots.values()):
            self.world.user(user_id)
        chat.members[user_id] = self._status(status)

    async def set_bot_membership(
        self, chat_id: int, status: str, by_user_id: int | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """Changes the bot's status in a group (e.g. added to it): a my_chat_member update."""
        bot = self.world.bot(token)
        chat = self.world.control_chat(chat_id)
        if chat.type == "private":
            raise ControlError("use set_bot_blocked for private chats")
        old = chat.members.get(bot.id, "left")
        chat.members[bot.id] = self._status(status)
        actor = self.world.user(by_user_id) if by_user_id else None
        return self._my_chat_member(bot, chat, old, status, actor)

    async def set_bot_blocked(
        self, user_id: int, blocked: bool = True, token: str | None = None
    ) -> None:
        """The user blocks (or unblocks) the bot: sends then get 403, a my_chat_member update."""
        bot = self.world.bot(token)
        user = self.world.user(user_id)
        if (user_id in bot.blocked_by) == blocked:
            return
        if blocked:
            bot.blocked_by.add(user_id)
        else:
            bot.blocked_by.discard(user_id)
        old, new = ("member", "kicked") if blocked else ("kicked", "member")
        self._my_chat_member(bot, self.world.chats[user_id], old, new, user)

    # --- playing users ----------------------------------------------------------------

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
        self.world.push_update(bot, "message", message.to_json())
        return message.to_json()

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

    # --- reading what the bot did ---------------------------------------------------

    async def bot_messages(
        self, chat_id: int, thread_id: int | None = None, token: str | None = None
    ) -> list[dict[str, Any]]:
        """Messages the bot sent to a chat (and thread), oldest first, in their current state
        (edits applied, `deleted` flagged). See README for the record's fields."""
        return self._bot_records(self.world.bot(token), chat_id, thread_id)

    async def wait_for_bot_messages(
        self,
        chat_id: int,
        count: int,
        timeout: float = 5.0,
        thread_id: int | None = None,
        token: str | None = None,
    ) -> list[dict[str, Any]]:
        """Waits until the bot has sent at least `count` messages there (in total); returns
        them all. Raises EmulatorTimeout (a TimeoutError) listing what did arrive."""
        bot = self.world.bot(token)
        arrived = await self.world.changes.wait_until(
            lambda: self._bot_message_count(bot, chat_id, thread_id) >= count, timeout)
        records = self._bot_records(bot, chat_id, thread_id)
        if not arrived:
            place = f"chat {chat_id}" + (f" thread {thread_id}" if thread_id is not None else "")
            seen = "; ".join(
                f"#{r['message_id']} {r['kind']}: {(r['text'] or r['caption'] or '')[:80]!r}"
                for r in records) or "nothing"
            raise EmulatorTimeout(
                f"bot sent {len(records)} of {count} expected messages to {place} within "
                f"{timeout}s; received: {seen}")
        return records

    async def chat_history(self, chat_id: int, token: str | None = None) -> list[dict[str, Any]]:
        """Every message in the chat, users' and bot's, as Telegram Message objects."""
        log = self.world.bot(token).chat_logs.get(chat_id)
        return [m.to_json() for m in log.messages.values() if not m.deleted] if log else []

    async def topics(self, chat_id: int, token: str | None = None) -> list[dict[str, Any]]:
        """Forum topics the bot created in a chat."""
        log = self.world.bot(token).chat_logs.get(chat_id)
        return [
            {"message_thread_id": t.thread_id, "name": t.name, "icon_color": t.icon_color,
             "closed": t.closed}
            for t in (log.topics.values() if log else [])
        ]

    async def callback_answers(self, token: str | None = None) -> list[dict[str, Any]]:
        """Every pressed button's callback query with its answer (answered False if none)."""
        return [r.to_record() for r in self.world.bot(token).callback_queries.values()]

    async def wait_for_callback_answer(
        self, callback_query_id: str, timeout: float = 5.0, token: str | None = None
    ) -> dict[str, Any]:
        bot = self.world.bot(token)
        record = bot.callback_queries.get(callback_query_id)
        if record is None:
            raise ControlError(f"unknown callback query {callback_query_id}")
        if not await self.world.changes.wait_until(lambda: record.answered, timeout):
            raise EmulatorTimeout(
                f"callback query {callback_query_id} was not answered within {timeout}s")
        return record.to_record()

    async def events(
        self,
        after: int = 0,
        timeout: float = 0.0,
        chat_id: int | None = None,
        token: str | None = None,
    ) -> list[dict[str, Any]]:
        """The bot's actions after sequence number `after` (sent/edited/deleted/chat_action/
        callback_answered/topic_created), waiting up to `timeout` for at least one."""
        bot_id = self.world.bot(token).id

        def matching() -> list[dict[str, Any]]:
            newer: list[dict[str, Any]] = []
            # The journal is ordered by seq: read back from the end only as far as needed.
            for event in reversed(self.world.journal):
                if event["seq"] <= after:
                    break
                same_chat = chat_id is None or event.get("chat_id") == chat_id
                if event["bot_id"] == bot_id and same_chat:
                    newer.append(event)
            newer.reverse()
            return newer

        await self.world.changes.wait_until(lambda: bool(matching()), timeout)
        return matching()

    async def api_calls(
        self, method: str | None = None, token: str | None = None
    ) -> list[dict[str, Any]]:
        """Bot API calls received (method, params without file bytes, HTTP status)."""
        calls = self.world.bot(token).calls
        wanted = method.lower() if method else None
        return [c for c in calls if wanted is None or c["method"].lower() == wanted]

    async def pending_updates(self, token: str | None = None) -> list[dict[str, Any]]:
        return self.world.bot(token).updates.pending()

    async def file_bytes(self, file_id: str) -> bytes:
        """The content of a file the bot uploaded (or a user sent)."""
        stored = self.world.files.get(file_id)
        if stored is None:
            raise ControlError(f"unknown file_id {file_id}")
        return stored.content

    # --- faults, limits, reset --------------------------------------------------------

    async def fail_next(
        self,
        method: str,
        count: int = 1,
        status: int = 500,
        description: str | None = None,
        retry_after: int | None = None,
        token: str | None = None,
    ) -> None:
        """The next `count` calls of `method` ("*" for any) answer this error instead.
        status 429 answers "Too Many Requests: retry after N" with parameters.retry_after."""
        bot_id = self.world.bot(token).id if token else None
        self.world.faults.add(bot_id, method, Fault(status, description, retry_after), count)

    async def set_flood_limits(
        self, per_chat_per_second: float | None = None, global_per_second: float | None = None
    ) -> None:
        """Sending rates above these answer 429 with retry_after; None switches a limit off."""
        self.world.flood.configure(per_chat_per_second, global_per_second)

    async def clear_faults(self) -> None:
        self.world.faults.clear()
        self.world.flood.configure(None, None)

    async def reset(self) -> None:
        """Forgets users, chats, messages, files, updates, faults; keeps bots and settings."""
        self.world.reset()

    # --- helpers ----------------------------------------------------------------------

    @staticmethod
    def _status(status: str) -> str:
        if status not in MEMBER_STATUSES:
            raise ControlError(f"unknown member status {status!r}")
        return status

    def _my_chat_member(self, bot: BotAccount, chat: ChatInfo, old: str, new: str,
                        actor: dict[str, Any] | None) -> dict[str, Any]:
        return self.world.push_update(bot, "my_chat_member", {
            "chat": chat.to_json(),
            "from": actor or self.world.user(chat.id),
            "date": unix_now(),
            "old_chat_member": chat_member_json(old, bot.user),
            "new_chat_member": chat_member_json(new, bot.user),
        })

    @staticmethod
    def _bot_message_count(bot: BotAccount, chat_id: int, thread_id: int | None) -> int:
        log = bot.chat_logs.get(chat_id)
        if log is None:
            return 0
        if thread_id is None:
            return len(log.bot_message_ids)
        return sum(1 for i in log.bot_message_ids if log.messages[i].thread_id == thread_id)

    def _bot_records(self, bot: BotAccount, chat_id: int,
                     thread_id: int | None) -> list[dict[str, Any]]:
        log = bot.chat_logs.get(chat_id)
        if log is None:
            return []
        messages = (log.messages[i] for i in log.bot_message_ids)
        return [m.to_record() for m in messages if thread_id is None or m.thread_id == thread_id]

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
