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


# The bot's own replies, as kept in the transcript, carry the formatting they were sent with:
# Rasa's **bold** and _italic_, or the few plain HTML tags of content/messages.yml.
_SIMPLE_TAG = re.compile(r"&lt;(/?)(b|i|u|em|strong|code)&gt;")
_HTML_TOKEN = re.compile(r"<(/?)([a-z]+)>|&[#\w]+;|.", re.DOTALL)


def transcript_html(text: str, limit: int | None = None) -> str:
    """A kept bot reply as Telegram HTML, showing the formatting the patient saw.

    Everything is escaped; **bold**, _italic_ and the plain tags b, i, u, em, strong and code
    become formatting only where they open and close in order (a tag left open or crossing
    another stays text). `limit` cuts after that many visible characters, closing what is
    open, so the result always parses.
    """
    tokens = list(_HTML_TOKEN.finditer(_SIMPLE_TAG.sub(r"<\1\2>", to_html(text))))
    paired: set[int] = set()
    opened: list[tuple[str, int]] = []
    for index, token in enumerate(tokens):
        closing, tag = token.group(1), token.group(2)
        if tag is None:
            continue
        if not closing:
            opened.append((tag, index))
        elif opened and opened[-1][0] == tag:
            paired.update((opened.pop()[1], index))
    out: list[str] = []
    still_open: list[str] = []
    shown = 0
    for index, token in enumerate(tokens):
        if limit is not None and shown >= limit:
            break
        tag = token.group(2)
        if tag is not None and index in paired:
            if token.group(1):
                still_open.pop()
            else:
                still_open.append(tag)
            out.append(token.group())
            continue
        out.append(html.escape(token.group(), quote=False) if tag is not None else token.group())
        shown += 1 if tag is None else len(token.group())
    out.extend(f"</{tag}>" for tag in reversed(still_open))
    return "".join(out)
