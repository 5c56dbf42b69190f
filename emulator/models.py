"""The emulator's records of users, chats, files and messages, and their Bot API JSON."""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from emulator.updates import UpdateQueue

MESSAGE_KINDS = ("text", "photo", "document", "voice", "sticker", "video", "location", "contact")
FILE_KINDS = frozenset({"photo", "document", "voice", "sticker", "video"})
CALL_LOG_SIZE = 100_000


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    kind: str
    content: bytes
    file_name: str | None
    mime_type: str | None
    file_path: str

    def media_json(self) -> Any:
        """The object a Message carries for this file (a list of sizes for photos)."""
        base = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.content),
        }
        if self.kind == "photo":
            return [{**base, "width": 1280, "height": 960}]
        if self.kind == "sticker":
            return {**base, "type": "regular", "width": 512, "height": 512,
                    "is_animated": False, "is_video": False}
        if self.kind == "voice":
            return {**base, "duration": 1, "mime_type": self.mime_type or "audio/ogg"}
        if self.kind == "video":
            return {**base, "width": 640, "height": 480, "duration": 1,
                    "mime_type": self.mime_type or "video/mp4"}
        document = {**base, "mime_type": self.mime_type or "application/octet-stream"}
        if self.file_name:
            document["file_name"] = self.file_name
        return document

    def file_json(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.content),
            "file_path": self.file_path,
        }


@dataclass
class ChatInfo:
    id: int
    type: str  # private / group / supergroup / channel
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    is_forum: bool = False
    # user id -> creator / administrator / member / restricted / left / kicked
    members: dict[int, str] = field(default_factory=dict)
    # user id -> rights that differ from the status's defaults (e.g. can_manage_topics False)
    rights: dict[int, dict[str, bool]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": self.id, "type": self.type}
        for key in ("title", "username", "first_name", "last_name"):
            value = getattr(self, key)
            if value is not None:
                chat[key] = value
        if self.is_forum:
            chat["is_forum"] = True
        return chat

    def full_info_json(self) -> dict[str, Any]:
        return {
            **self.to_json(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }


@dataclass
class StoredMessage:
    message_id: int
    chat: ChatInfo
    date: int
    kind: str
    sender: dict[str, Any] | None = None
    sender_chat: dict[str, Any] | None = None
    from_bot: bool = False
    method: str | None = None
    text: str | None = None  # what the user sees (markup removed)
    source_text: str | None = None  # as the bot sent it, markup included
    entities: list[dict[str, Any]] = field(default_factory=list)
    caption: str | None = None
    source_caption: str | None = None
    caption_entities: list[dict[str, Any]] = field(default_factory=list)
    parse_mode: str | None = None
    reply_markup: dict[str, Any] | None = None
    file: StoredFile | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # location, contact, service fields
    thread_id: int | None = None
    is_topic_message: bool = False
    reply_to: StoredMessage | None = None
    edit_date: int | None = None
    edit_count: int = 0
    deleted: bool = False

    def to_json(self, *, with_reply: bool = True) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": self.message_id,
            "date": self.date,
            "chat": self.chat.to_json(),
        }
        if self.sender is not None:
            message["from"] = self.sender
        if self.sender_chat is not None:
            message["sender_chat"] = self.sender_chat
        if self.thread_id is not None:
            message["message_thread_id"] = self.thread_id
        if self.is_topic_message:
            message["is_topic_message"] = True
        if with_reply and self.reply_to is not None:
            message["reply_to_message"] = self.reply_to.to_json(with_reply=False)
        if self.edit_date is not None:
            message["edit_date"] = self.edit_date
        if self.text is not None:
            message["text"] = self.text
            if self.entities:
                message["entities"] = self.entities
        if self.file is not None:
            message[self.kind] = self.file.media_json()
        if self.caption is not None:
            message["caption"] = self.caption
            if self.caption_entities:
                message["caption_entities"] = self.caption_entities
        message.update(self.extra)
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            message["reply_markup"] = self.reply_markup
        return message

    def to_record(self) -> dict[str, Any]:
        """The flat view tests read: what the bot sent, as sent and as shown."""
        return {
            "message_id": self.message_id,
            "chat_id": self.chat.id,
            "message_thread_id": self.thread_id,
            "kind": self.kind,
            "method": self.method,
            "from_bot": self.from_bot,
            "text": self.source_text if self.source_text is not None else self.text,
            "plain_text": self.text,
            "caption": self.source_caption if self.source_caption is not None else self.caption,
            "plain_caption": self.caption,
            "parse_mode": self.parse_mode,
            "entities": self.entities,
            "reply_markup": self.reply_markup,
            "reply_to_message_id": self.reply_to.message_id if self.reply_to else None,
            "file_id": self.file.file_id if self.file else None,
            "file_name": self.file.file_name if self.file else None,
            "mime_type": self.file.mime_type if self.file else None,
            "file_size": len(self.file.content) if self.file else None,
            "extra": self.extra,
            "date": self.date,
            "edit_date": self.edit_date,
            "edit_count": self.edit_count,
            "deleted": self.deleted,
        }


@dataclass
class ForumTopic:
    thread_id: int
    name: str
    icon_color: int
    icon_custom_emoji_id: str | None = None
    closed: bool = False
    creator_id: int | None = None  # Telegram lets a topic's creator post in it when closed


@dataclass
class ChatLog:
    """One bot's view of one chat: its messages (ids increase per chat) and forum topics."""

    next_message_id: int = 1
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    bot_message_ids: list[int] = field(default_factory=list)
    topics: dict[int, ForumTopic] = field(default_factory=dict)
    # thread id of a deleted topic -> until when (monotonic) sends get TOPIC_DELETED
    deleted_topics: dict[int, float] = field(default_factory=dict)

    def allocate_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


@dataclass
class Webhook:
    url: str
    secret_token: str | None
    max_connections: int = 40
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class CallbackQueryRecord:
    id: str
    chat_id: int
    message_id: int
    user_id: int
    data: str | None
    answered: bool = False
    answer: dict[str, Any] | None = None

    def to_record(self) -> dict[str, Any]:
        return {
            "callback_query_id": self.id,
            "chat_id": self.chat_id,
            "message_id": self.message_id,
            "user_id": self.user_id,
            "data": self.data,
            "answered": self.answered,
            **(self.answer or {}),
        }


@dataclass
class BotAccount:
    token: str
    user: dict[str, Any]
    updates: UpdateQueue = field(default_factory=UpdateQueue)
    webhook: Webhook | None = None
    # (scope type, chat id, user id, language code) -> the menu set for it
    commands: dict[tuple[str, int, int, str], list[dict[str, str]]] = field(default_factory=dict)
    profile: dict[str, str] = field(default_factory=dict)  # name/description per language
    blocked_by: set[int] = field(default_factory=set)
    chat_logs: dict[int, ChatLog] = field(default_factory=dict)
    callback_queries: dict[str, CallbackQueryRecord] = field(default_factory=dict)
    calls: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=CALL_LOG_SIZE))
    # Every call since the start by method ("<method> <status>" when refused), never trimmed.
    call_counts: Counter[str] = field(default_factory=Counter)

    @property
    def id(self) -> int:
        return int(self.user["id"])

    def chat_log(self, chat_id: int) -> ChatLog:
        log = self.chat_logs.get(chat_id)
        if log is None:
            log = self.chat_logs[chat_id] = ChatLog()
        return log

    def reset_world(self) -> None:
        """Forgets conversations; keeps the bot's own settings (webhook, commands)."""
        self.updates.clear()
        self.blocked_by.clear()
        self.chat_logs.clear()
        self.callback_queries.clear()
        self.calls.clear()
        self.call_counts.clear()
