"""What an outbox entry holds (JSON, stored before it is sent) and the Bot API call that
sends it: a message, a document, a copy of a staff member's message, or a task."""

from __future__ import annotations

import base64
from typing import Any

from telegram import Bot, InlineKeyboardMarkup, InputFile, Message

from storage.durable import OutboxEntry


def text_payload(
    text: str, markup: InlineKeyboardMarkup | None, record: dict[str, Any] | None
) -> dict[str, Any]:
    """An HTML message, with its buttons and what the transcript keeps of it."""
    return {
        "kind": "message",
        "text": text,
        "parse_mode": "HTML",
        "reply_markup": markup.to_dict() if markup else None,
        "record": record,
    }


def document_payload(
    content: bytes, filename: str, caption: str, record: dict[str, Any] | None
) -> dict[str, Any]:
    """A file (a receipt, the patient's data), kept as base64 until it is sent."""
    return {
        "kind": "document",
        "content_b64": base64.b64encode(content).decode("ascii"),
        "filename": filename,
        "caption": caption,
        "record": record,
    }


def copy_payload(
    from_chat_id: int, message_id: int, caption: str | None, record: dict[str, Any] | None
) -> dict[str, Any]:
    """A copy of a message from another chat (a staff member's media, relayed)."""
    return {
        "kind": "copy",
        "from_chat_id": from_chat_id,
        "message_id": message_id,
        "caption": caption,
        "record": record,
    }


def task_payload(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """Follow-up work the outbox runs in order with the messages (bot/outbox_tasks.py)."""
    return {"kind": "task", "task": name, "arguments": arguments}


async def send_payload(bot: Bot, entry: OutboxEntry) -> Message:
    """The Bot API call for one message entry (not a task); Telegram's errors propagate."""
    payload = entry.payload
    kind = payload["kind"]
    if kind == "message":
        markup = payload.get("reply_markup")
        return await bot.send_message(
            entry.chat_id,
            payload["text"],
            parse_mode=payload.get("parse_mode"),
            reply_markup=InlineKeyboardMarkup.de_json(markup, bot) if markup else None,
        )
    if kind == "document":
        content = base64.b64decode(payload["content_b64"])
        return await bot.send_document(
            entry.chat_id,
            InputFile(content, filename=payload["filename"]),
            caption=payload.get("caption"),
        )
    if kind == "copy":
        copied = await bot.copy_message(
            entry.chat_id,
            payload["from_chat_id"],
            payload["message_id"],
            caption=payload.get("caption"),
            parse_mode="HTML" if payload.get("caption") else None,
        )
        return Message(copied.message_id, None, None)  # type: ignore[arg-type]
    raise ValueError(f"unknown outbox payload kind {kind!r}")
