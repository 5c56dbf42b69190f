"""Reading what a patient sent: media kinds, invisible text, the /mydata document."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Mapping
from typing import Any

from telegram import Message


def visible(text: str) -> str:
    """The text without invisible format characters (zero-width spaces, joiners, BOM)."""
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf").strip()


def media_of(incoming: Message) -> tuple[str | None, str | None]:
    """The media kind (a key of messages.yml's media_received) and its file id."""
    if incoming.photo:
        return "photo", incoming.photo[-1].file_id
    for kind in ("document", "voice", "video", "sticker"):
        attachment = getattr(incoming, kind)
        if attachment is not None:
            return kind, attachment.file_id
    if incoming.video_note is not None:
        return "video", incoming.video_note.file_id
    if incoming.audio is not None:
        return "voice", incoming.audio.file_id
    if incoming.location is not None:
        return "location", None
    if incoming.contact is not None:
        return "contact", None
    if incoming.text is None and incoming.caption is None:
        return "other", None
    return None, None


def export_document(data: Mapping[str, Any]) -> bytes:
    """The /mydata JSON, readable by a person."""
    return json.dumps(data, indent=2, ensure_ascii=False, default=str).encode("utf-8")
