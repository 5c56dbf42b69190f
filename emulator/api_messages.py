"""Bot API methods that send messages: text, media, copies and forwards."""

from __future__ import annotations

import mimetypes
from typing import Any

from emulator.call import Call, Handler
from emulator.errors import bad_request
from emulator.formatting import to_plain_text, utf16_length
from emulator.models import MESSAGE_KINDS, ChatInfo, StoredFile, StoredMessage
from emulator.params import UploadedFile
from emulator.topics import topic_to_post_in
from emulator.world import unix_now

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
COPYABLE_EXTRA_KEYS = ("location", "contact")


def validate_reply_markup(markup: Any) -> dict[str, Any] | None:
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    for row in markup.get("inline_keyboard", []):
        if not isinstance(row, list):
            raise bad_request("field \"inline_keyboard\" of the InlineKeyboardMarkup must be "
                              "an Array of Arrays")
        for button in row:
            if not isinstance(button, dict) or not button.get("text"):
                raise bad_request("can't parse inline keyboard button: Text must be non-empty")
            if "callback_data" in button:
                size = len(str(button["callback_data"]).encode("utf-8"))
                if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
                    raise bad_request("BUTTON_DATA_INVALID")
            elif len(button) == 1:
                raise bad_request("text buttons are unallowed in the inline keyboard")
    return markup


def formatted_text(
    call: Call, text_param: str, mode_param: str, entities_param: str, limit: int, too_long: str
) -> tuple[str | None, str | None, list[dict[str, Any]]]:
    """(as sent, as shown, entities) for a text or caption parameter."""
    source = call.params.string(text_param)
    if source is None:
        return None, None, []
    plain, entities = to_plain_text(source, call.params.string(mode_param))
    explicit = call.params.obj(entities_param)
    if explicit and not entities:
        entities = explicit
    if utf16_length(plain) > limit:
        raise bad_request(too_long)
    return source, plain, entities


class Target:
    """Where a new bot message goes: chat, forum thread and the message it replies to."""

    def __init__(self, call: Call, chat_param: str = "chat_id") -> None:
        world, bot, params = call.world, call.bot, call.params
        self.chat: ChatInfo = world.chat(params.chat_id(chat_param))
        world.check_can_send(bot, self.chat)
        log = bot.chat_log(self.chat.id)
        self.thread_id = params.integer("message_thread_id")
        self.is_topic_message = False
        self.reply_to: StoredMessage | None = None
        if self.thread_id is not None and self.chat.is_forum:
            # Deleted, closed, unknown or General (1): Telegram's 400 (emulator/topics.py).
            topic_to_post_in(bot, self.chat, self.thread_id)
            self.is_topic_message = True
            self.reply_to = log.messages.get(self.thread_id)
        reply = params.obj("reply_parameters") or {}
        reply_to_id = reply.get("message_id") or params.integer("reply_to_message_id")
        if reply_to_id:
            replied = world.message(bot, int(reply.get("chat_id") or self.chat.id),
                                    int(reply_to_id))
            if replied is None:
                lenient = reply.get("allow_sending_without_reply") or params.flag(
                    "allow_sending_without_reply")
                if not lenient:
                    raise bad_request("message to be replied not found")
            else:
                self.reply_to = replied

    def new_message(self, call: Call, kind: str, method: str, **fields: Any) -> StoredMessage:
        message = StoredMessage(
            message_id=call.bot.chat_log(self.chat.id).allocate_id(),
            chat=self.chat,
            date=unix_now(),
            kind=kind,
            sender=call.bot_sender,
            from_bot=True,
            method=method,
            thread_id=self.thread_id if self.chat.is_forum or self.chat.type == "private"
            else None,
            is_topic_message=self.is_topic_message,
            reply_to=self.reply_to,
            reply_markup=validate_reply_markup(call.params.obj("reply_markup")),
            **fields,
        )
        return call.world.store_message(call.bot, message)


async def send_message(call: Call) -> dict[str, Any]:
    raw = call.params.string("text")
    if raw is None or not raw.strip():
        raise bad_request("message text is empty")
    source, plain, entities = formatted_text(
        call, "text", "parse_mode", "entities", MAX_TEXT_LENGTH, "message is too long")
    if not (plain or "").strip():
        raise bad_request("message text is empty")
    target = Target(call)
    message = target.new_message(call, "text", "sendMessage", text=plain, source_text=source,
                                 entities=entities, parse_mode=call.params.string("parse_mode"))
    return message.to_json()


def _input_file(call: Call, kind: str) -> StoredFile:
    given = call.params.upload(kind)
    if isinstance(given, UploadedFile):
        mime_type = given.mime_type
        if kind == "document" and (not mime_type or mime_type == "application/octet-stream"):
            mime_type = mimetypes.guess_type(given.file_name or "")[0] or mime_type
        return call.world.store_file(kind, given.content, given.file_name, mime_type)
    if given is None:
        raise bad_request(f"there is no {kind} in the request")
    if given in call.world.files:
        known = call.world.files[given]
        if known.kind != kind:
            raise bad_request(f"can't use file of type {known.kind.title()} as {kind.title()}")
        return known
    if given.startswith(("http://", "https://")):
        name = given.rstrip("/").rsplit("/", 1)[-1] or None
        return call.world.store_file(kind, b"", name, mimetypes.guess_type(name or "")[0])
    raise bad_request("wrong file identifier/HTTP URL specified")


def media_sender(kind: str, method: str) -> Handler:
    async def send_media(call: Call) -> dict[str, Any]:
        source, plain, entities = formatted_text(
            call, "caption", "parse_mode", "caption_entities", MAX_CAPTION_LENGTH,
            "message caption is too long")
        target = Target(call)
        stored = _input_file(call, kind)
        message = target.new_message(
            call, kind, method, file=stored, caption=plain, source_caption=source,
            caption_entities=entities, parse_mode=call.params.string("parse_mode"))
        return message.to_json()

    return send_media


def _source_message(call: Call) -> StoredMessage:
    from_chat = call.world.chat(call.params.chat_id("from_chat_id"))
    message_id = call.params.integer("message_id", required=True)
    assert message_id is not None
    source = call.world.message(call.bot, from_chat.id, message_id)
    if source is None:
        raise bad_request("message to copy not found")
    if source.kind not in MESSAGE_KINDS:  # service messages cannot be copied
        raise bad_request("message can't be copied")
    return source


async def copy_message(call: Call) -> dict[str, Any]:
    source = _source_message(call)
    target = Target(call)
    caption_fields: dict[str, Any] = {
        "caption": source.caption,
        "source_caption": source.source_caption,
        "caption_entities": source.caption_entities,
        "parse_mode": source.parse_mode,
    }
    if "caption" in call.params:
        text, plain, entities = formatted_text(
            call, "caption", "parse_mode", "caption_entities", MAX_CAPTION_LENGTH,
            "message caption is too long")
        caption_fields = {"caption": plain, "source_caption": text, "caption_entities": entities,
                          "parse_mode": call.params.string("parse_mode")}
    message = target.new_message(
        call, source.kind, "copyMessage", text=source.text, source_text=source.source_text,
        entities=source.entities, file=source.file,
        extra={k: v for k, v in source.extra.items() if k in COPYABLE_EXTRA_KEYS},
        **caption_fields)
    return {"message_id": message.message_id}


async def forward_message(call: Call) -> dict[str, Any]:
    source = _source_message(call)
    target = Target(call)
    if source.sender_chat is not None:
        origin = {"type": "channel", "chat": source.sender_chat, "date": source.date,
                  "message_id": source.message_id}
    else:
        origin = {"type": "user", "sender_user": source.sender, "date": source.date}
    extra = {k: v for k, v in source.extra.items() if k in COPYABLE_EXTRA_KEYS}
    message = target.new_message(
        call, source.kind, "forwardMessage", text=source.text, source_text=source.source_text,
        entities=source.entities, file=source.file, caption=source.caption,
        source_caption=source.source_caption, caption_entities=source.caption_entities,
        extra={**extra, "forward_origin": origin})
    return message.to_json()


HANDLERS: dict[str, Handler] = {
    "sendmessage": send_message,
    "sendphoto": media_sender("photo", "sendPhoto"),
    "senddocument": media_sender("document", "sendDocument"),
    "sendvoice": media_sender("voice", "sendVoice"),
    "sendsticker": media_sender("sticker", "sendSticker"),
    "sendvideo": media_sender("video", "sendVideo"),
    "copymessage": copy_message,
    "forwardmessage": forward_message,
}
