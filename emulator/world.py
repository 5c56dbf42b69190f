"""All emulated state: bots, users, chats, files, messages, updates and the event journal.

Everything runs on one event loop and every mutation is synchronous, so no locks are needed;
waiters are woken through `Notifier`s.
"""

from __future__ import annotations

import hashlib
import itertools
import secrets
import time
from collections import deque
from typing import Any

from emulator.errors import ApiError, ControlError, bad_request, forbidden
from emulator.faults import FaultPlan
from emulator.limits import TELEGRAM_LIMITS, FloodLimiter, FloodLimits
from emulator.models import (
    BotAccount,
    CallbackQueryRecord,
    ChatInfo,
    StoredFile,
    StoredMessage,
)
from emulator.notifier import Notifier

JOURNAL_SIZE = 100_000
FILE_EXTENSIONS = {"photo": "jpg", "voice": "oga", "sticker": "webp", "video": "mp4"}
FILE_FOLDERS = {"photo": "photos", "document": "documents", "voice": "voice",
                "sticker": "stickers", "video": "videos"}


def unix_now() -> int:
    return int(time.time())


class World:
    def __init__(self, flood_limits: FloodLimits = TELEGRAM_LIMITS) -> None:
        self.bots: dict[str, BotAccount] = {}
        self.users: dict[int, dict[str, Any]] = {}
        self.users_without_start: set[int] = set()
        self.chats: dict[int, ChatInfo] = {}
        self.files: dict[str, StoredFile] = {}
        self.files_by_path: dict[str, StoredFile] = {}
        self.faults = FaultPlan()
        # The limits the emulator was started with; reset() comes back to them.
        self.default_flood_limits = flood_limits
        self.flood = FloodLimiter(flood_limits)
        self.changes = Notifier()
        self.journal: deque[dict[str, Any]] = deque(maxlen=JOURNAL_SIZE)
        # Never reset: a running bot keeps its getUpdates offset across test resets.
        self._update_ids = itertools.count(1)
        self._event_seq = itertools.count(1)
        self._file_seq = itertools.count(1)
        self._callback_seq = itertools.count(1)

    # --- bots -------------------------------------------------------------------------

    def add_bot(self, token: str, username: str, first_name: str) -> BotAccount:
        prefix = token.split(":", 1)[0]
        bot_id = int(prefix) if prefix.isdigit() else 5_000_000_000 + len(self.bots)
        user = {
            "id": bot_id,
            "is_bot": True,
            "first_name": first_name,
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": True,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        account = self.bots[token] = BotAccount(token=token, user=user)
        return account

    def bot(self, token: str | None = None) -> BotAccount:
        """The bot for `token`, or the first bot when None (the usual single-bot case)."""
        if token is None:
            if not self.bots:
                raise ControlError("no bot configured")
            return next(iter(self.bots.values()))
        account = self.bots.get(token)
        if account is None:
            raise ControlError("unknown bot token")
        return account

    # --- users and chats --------------------------------------------------------------

    def add_user(
        self,
        user_id: int,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        has_started_bot: bool = True,
    ) -> dict[str, Any]:
        if user_id <= 0:
            raise ControlError("user ids are positive")
        user: dict[str, Any] = {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name or f"User{user_id}",
        }
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        self.users[user_id] = user
        if has_started_bot:
            self.users_without_start.discard(user_id)
        else:
            self.users_without_start.add(user_id)
        chat = self.chats.get(user_id)
        private = ChatInfo(id=user_id, type="private", first_name=user["first_name"],
                           last_name=last_name, username=username)
        if chat is not None:
            private.members = chat.members
        self.chats[user_id] = private
        return user

    def user(self, user_id: int) -> dict[str, Any]:
        """A known user, created with default names on first mention."""
        return self.users.get(user_id) or self.add_user(user_id)

    def add_chat(
        self,
        chat_id: int,
        chat_type: str,
        title: str,
        username: str | None = None,
        is_forum: bool = False,
    ) -> ChatInfo:
        if chat_id >= 0:
            raise ControlError("group and channel ids are negative")
        chat = ChatInfo(id=chat_id, type=chat_type, title=title, username=username,
                        is_forum=is_forum)
        for bot in self.bots.values():
            chat.members[bot.id] = "administrator"
        self.chats[chat_id] = chat
        return chat

    def next_group_id(self, supergroup: bool) -> int:
        base = -1_001_000_000_000 if supergroup else -1_000_000
        return base - len([c for c in self.chats.values() if c.id < 0]) - 1

    def chat(self, chat_id: int | str) -> ChatInfo:
        """The chat a Bot API call names, or Telegram's "chat not found"."""
        if isinstance(chat_id, str):
            wanted = chat_id.removeprefix("@").lower()
            for chat in self.chats.values():
                if chat.username and chat.username.lower() == wanted:
                    return chat
            raise bad_request("chat not found")
        chat = self.chats.get(chat_id)
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def control_chat(self, chat_id: int) -> ChatInfo:
        try:
            return self.chat(chat_id)
        except ApiError:
            raise ControlError(f"unknown chat {chat_id}") from None

    def member_status(self, chat: ChatInfo, user_id: int) -> str:
        if chat.type == "private":
            return "member" if user_id in (chat.id, *(b.id for b in self.bots.values())) else "left"
        return chat.members.get(user_id, "left")

    def check_can_send(self, bot: BotAccount, chat: ChatInfo) -> None:
        """Telegram's 403s: blocked by the user, never started, or not in the group."""
        if chat.type == "private":
            if chat.id in bot.blocked_by:
                raise forbidden("bot was blocked by the user")
            if chat.id in self.users_without_start:
                raise forbidden("bot can't initiate conversation with a user")
            return
        status = chat.members.get(bot.id, "administrator")
        if status in ("left", "kicked"):
            kind = "group" if chat.type != "channel" else "channel"
            raise forbidden(f"bot is not a member of the {kind} chat")

    # --- files ------------------------------------------------------------------------

    def store_file(
        self, kind: str, content: bytes, file_name: str | None, mime_type: str | None
    ) -> StoredFile:
        number = next(self._file_seq)
        extension = FILE_EXTENSIONS.get(kind)
        if extension is None:
            extension = file_name.rsplit(".", 1)[-1] if file_name and "." in file_name else "bin"
        digest = hashlib.sha256(content + number.to_bytes(8, "big")).hexdigest()
        stored = StoredFile(
            file_id=f"{kind[:2].upper()}ACAgEmu{number:06d}{digest[:24]}",
            file_unique_id=f"AgAD{digest[:12]}",
            kind=kind,
            content=content,
            file_name=file_name,
            mime_type=mime_type,
            file_path=f"{FILE_FOLDERS.get(kind, 'documents')}/file_{number}.{extension}",
        )
        self.files[stored.file_id] = stored
        self.files_by_path[stored.file_path] = stored
        return stored

    def file(self, file_id: str) -> StoredFile:
        stored = self.files.get(file_id)
        if stored is None:
            raise bad_request("invalid file_id")
        return stored

    # --- messages, updates, journal --------------------------------------------------

    def store_message(self, bot: BotAccount, message: StoredMessage) -> StoredMessage:
        log = bot.chat_log(message.chat.id)
        log.messages[message.message_id] = message
        if message.from_bot:
            log.bot_message_ids.append(message.message_id)
            self.record_event(bot, "sent", message)
        return message

    def message(self, bot: BotAccount, chat_id: int, message_id: int) -> StoredMessage | None:
        log = bot.chat_logs.get(chat_id)
        message = log.messages.get(message_id) if log else None
        return None if message is None or message.deleted else message

    def push_update(self, bot: BotAccount, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": next(self._update_ids), kind: payload}
        bot.updates.push(update)
        self.changes.notify()
        return update

    def record_event(self, bot: BotAccount, kind: str, message: StoredMessage | None = None,
                     **details: Any) -> None:
        event: dict[str, Any] = {"seq": next(self._event_seq), "type": kind, "bot_id": bot.id,
                                 **details}
        if message is not None:
            event["chat_id"] = message.chat.id
            event["message_id"] = message.message_id
            event["message"] = message.to_record()
        self.journal.append(event)
        self.changes.notify()

    def new_callback_query_id(self) -> str:
        return f"{next(self._callback_seq)}{secrets.randbelow(10**9):09d}"

    def reset(self) -> None:
        """A fresh world with the same bots (and their settings); counters keep increasing."""
        for bot in self.bots.values():
            bot.reset_world()
        self.users.clear()
        self.users_without_start.clear()
        self.chats.clear()
        self.files.clear()
        self.files_by_path.clear()
        self.faults.clear()
        self.flood.configure(self.default_flood_limits)
        self.journal.clear()
        self.changes.notify()

    def new_callback_query(self, bot: BotAccount, message: StoredMessage, user_id: int,
                           data: str) -> CallbackQueryRecord:
        record = CallbackQueryRecord(id=self.new_callback_query_id(), chat_id=message.chat.id,
                                     message_id=message.message_id, user_id=user_id, data=data)
        bot.callback_queries[record.id] = record
        return record
