"""Turn dialogue replies into Telegram messages: safe HTML, inline buttons, size limits."""

from __future__ import annotations

import html
import logging
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.dialogue import Button

log = logging.getLogger(__name__)
TELEGRAM_TEXT_LIMIT = 4096
CALLBACK_DATA_LIMIT = 64
_BOLD = re.compile(r"\*\*(.+?)\*\*", re.DOTALL)
_ITALIC = re.compile(r"(?<![\w*])_(.+?)_(?!\w)", re.DOTALL)


def to_html(text: str) -> str:
    """Escape everything, then turn the responses' **bold** and _italic_ into HTML tags."""
    escaped = html.escape(text, quote=False)
    escaped = _BOLD.sub(r"<b>\1</b>", escaped)
    return _ITALIC.sub(r"<i>\1</i>", escaped)


def keyboard(buttons: tuple[Button, ...], per_row: int = 2) -> InlineKeyboardMarkup | None:
    """Inline keyboard for the buttons whose payload fits Telegram's callback_data limit."""
    usable = []
    for button in buttons:
        if len(button.payload.encode()) > CALLBACK_DATA_LIMIT:
            log.error(
                "button payload over 64 bytes dropped",
                extra={"payload_bytes": len(button.payload.encode())},
            )
            continue
        usable.append(InlineKeyboardButton(button.title, callback_data=button.payload))
    if not usable:
        return None
    rows = [usable[i : i + per_row] for i in range(0, len(usable), per_row)]
    return InlineKeyboardMarkup(rows)


def split_text(text: str, limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """Split at paragraph or line breaks so every part fits one Telegram message."""
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        if cut <= 0:
            cut = rest.rfind(" ", 0, limit)
        if cut <= 0:
            cut = limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    parts.append(rest)
    return parts
