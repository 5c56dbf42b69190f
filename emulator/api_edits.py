"""Bot API methods that edit and delete the bot's messages, show chat actions and answer
callback queries."""

from __future__ import annotations

from typing import Any

from emulator.api_messages import (
    MAX_CAPTION_LENGTH,
    MAX_TEXT_LENGTH,
    NOT_MODIFIED,
    formatted_text,
    validate_reply_markup,
)
from emulator.call import Call, Handler
from emulator.errors import bad_request
from emulator.models import StoredMessage
from emulator.world import unix_now


def _own_message(call: Call) -> StoredMessage:
    if call.params.string("inline_message_id"):
        raise bad_request("inline messages are not supported by the emulator")
    chat = call.world.chat(call.params.chat_id())
    message_id = call.params.integer("message_id", required=True)
    assert message_id is not None
    message = call.world.message(call.bot, chat.id, message_id)
    if message is None:
        raise bad_request("message to edit not found")
    if not message.from_bot:
        raise bad_request("message can't be edited")
    return message


def _finish_edit(call: Call, message: StoredMessage) -> dict[str, Any]:
    message.edit_date = unix_now()
    message.edit_count += 1
    call.world.record_event(call.bot, "edited", message)
    return message.to_json()


async def edit_message_text(call: Call) -> dict[str, Any]:
    message = _own_message(call)
    if message.kind != "text":
        raise bad_request("there is no text in the message to edit")
    raw = call.params.string("text")
    if raw is None or not raw.strip():
        raise bad_request("message text is empty")
    source, plain, entities = formatted_text(
        call, "text", "parse_mode", "entities", MAX_TEXT_LENGTH, "message is too long")
    markup = validate_reply_markup(call.params.obj("reply_markup"))
    if plain == message.text and entities == message.entities and markup == message.reply_markup:
        raise bad_request(NOT_MODIFIED)
    message.text, message.source_text, message.entities = plain, source, entities
    message.parse_mode = call.params.string("parse_mode")
    message.reply_markup = markup
    return _finish_edit(call, message)


async def edit_message_caption(call: Call) -> dict[str, Any]:
    message = _own_message(call)
    if message.file is None:
        raise bad_request("there is no caption in the message to edit")
    source, plain, entities = formatted_text(
        call, "caption", "parse_mode", "caption_entities", MAX_CAPTION_LENGTH,
        "message caption is too long")
    markup = validate_reply_markup(call.params.obj("reply_markup"))
    if plain == message.caption and markup == message.reply_markup:
        raise bad_request(NOT_MODIFIED)
    message.caption, message.source_caption, message.caption_entities = plain, source, entities
    message.parse_mode = call.params.string("parse_mode")
    message.reply_markup = markup
    return _finish_edit(call, message)


async def edit_message_reply_markup(call: Call) -> dict[str, Any]:
    message = _own_message(call)
    markup = validate_reply_markup(call.params.obj("reply_markup"))
    if markup is not None and not markup.get("inline_keyboard"):
        markup = None
    if markup == message.reply_markup:
        raise bad_request(NOT_MODIFIED)
    message.reply_markup = markup
    return _finish_edit(call, message)


async def delete_message(call: Call) -> bool:
    chat = call.world.chat(call.params.chat_id())
    message_id = call.params.integer("message_id", required=True)
    assert message_id is not None
    message = call.world.message(call.bot, chat.id, message_id)
    if message is None:
        raise bad_request("message to delete not found")
    message.deleted = True
    call.world.record_event(call.bot, "deleted", message)
    return True


async def delete_messages(call: Call) -> bool:
    chat = call.world.chat(call.params.chat_id())
    message_ids = call.params.obj("message_ids")
    if not isinstance(message_ids, list) or not 1 <= len(message_ids) <= 100:
        raise bad_request("message_ids must be a list of 1 to 100 identifiers")
    for message_id in message_ids:
        message = call.world.message(call.bot, chat.id, int(message_id))
        if message is not None:  # Telegram skips the ones it cannot find
            message.deleted = True
            call.world.record_event(call.bot, "deleted", message)
    return True


async def send_chat_action(call: Call) -> bool:
    chat = call.world.chat(call.params.chat_id())
    call.world.check_can_send(call.bot, chat)
    action = call.params.string("action", required=True)
    call.world.record_event(call.bot, "chat_action", chat_id=chat.id, action=action,
                            message_thread_id=call.params.integer("message_thread_id"))
    return True


async def answer_callback_query(call: Call) -> bool:
    query_id = call.params.string("callback_query_id", required=True)
    record = call.bot.callback_queries.get(query_id or "")
    if record is None or record.answered:
        raise bad_request(
            "query is too old and response timeout expired or query ID is invalid")
    record.answered = True
    record.answer = {
        "text": call.params.string("text"),
        "show_alert": call.params.flag("show_alert"),
        "url": call.params.string("url"),
        "cache_time": call.params.integer("cache_time") or 0,
    }
    call.world.record_event(call.bot, "callback_answered", **record.to_record())
    return True


HANDLERS: dict[str, Handler] = {
    "editmessagetext": edit_message_text,
    "editmessagecaption": edit_message_caption,
    "editmessagereplymarkup": edit_message_reply_markup,
    "deletemessage": delete_message,
    "deletemessages": delete_messages,
    "sendchataction": send_chat_action,
    "answercallbackquery": answer_callback_query,
}
