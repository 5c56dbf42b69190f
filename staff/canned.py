"""Canned replies: /canned lists them, /reply NAME sends one to the patient, /save NAME keeps
a staff member's own message as one.

The service's replies are content/canned.yml; staff add theirs with /save (the
`canned_replies` table, audited). A reply goes to the patient as the holder's typed message
does (the outbox, under their name, into the transcript as author "staff"), and only the
holder may send one. A reply longer than one Telegram message is split when sent, at a
paragraph, line or word boundary, each part under the holder's name.
"""

from __future__ import annotations

import difflib
import html
import re
from html import escape

from telegram import Message, User

from bot.content import message, tool_message
from bot.outbox import text_payload
from staff.base import DeskParts
from storage import CaseRef
from storage.staff_tools import StaffToolsStore
from translation import DEFAULT_LANGUAGE
from translation.overlay import localized_file

NAME = re.compile(r"[a-z0-9_-]{1,32}")
# A saved reply's Hindi version is saved under its name with this ending ("fees-hi").
HINDI_SUFFIX = "-hi"
# Telegram's limit on a message's text, counted after its HTML is parsed.
TELEGRAM_TEXT_LIMIT = 4096
PREVIEW_CHARS = 300
CLOSE_NAMES = 3


def shipped_replies(language: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """The service's own canned replies (content/canned.yml, in a language)."""
    replies = localized_file("canned.yml", language)
    return {str(name): str(text).strip() for name, text in replies.items()}


def visible_length(html_text: str) -> int:
    """The characters Telegram counts in an HTML message: tags dropped, entities decoded."""
    return len(html.unescape(re.sub(r"<[^>]+>", "", html_text)))


def staff_text_limit(prefix: str) -> int:
    """How much of a staff member's text fits in one message after their name's prefix."""
    return TELEGRAM_TEXT_LIMIT - visible_length(prefix) - 1


def split_text(text: str, limit: int) -> list[str]:
    """Parts of at most `limit` characters, cut at a paragraph, line or word where possible."""
    parts: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[: limit + 1]
        cut = max(window.rfind(separator) for separator in ("\n\n", "\n", " "))
        if cut <= limit // 2:
            cut = limit  # no boundary in the second half: cut the word
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts


class CannedReplies(DeskParts):
    """The canned replies of the staff groups, shipped and saved."""

    tools: StaffToolsStore

    async def canned_names(self) -> set[str]:
        """Every canned reply's name, shipped and saved."""
        saved = {reply.name for reply in await self.tools.saved_replies()}
        return set(shipped_replies()) | saved

    async def canned_listing(self) -> str:
        """/canned: every reply with the start of its text."""
        shipped = shipped_replies()
        saved = await self.tools.saved_replies()
        if not shipped and not saved:
            return tool_message("canned.none")
        lines = [tool_message("canned.header")]
        for name, text in shipped.items():
            lines.append(tool_message("canned.line", name=name, preview=escape(_preview(text, 80))))
        for reply in saved:
            if reply.name in shipped:
                continue
            line = tool_message(
                "canned.line", name=reply.name, preview=escape(_preview(reply.text, 80))
            )
            lines.append(line + tool_message("canned.saved_mark"))
        return "\n".join(lines)

    async def _canned_text(self, name: str, language: str = DEFAULT_LANGUAGE) -> str | None:
        """A reply's text for a patient's language: the service's in that language; a saved
        one's Hindi version is saved as NAME-hi (sent to Hindi patients in its place)."""
        shipped = shipped_replies(language)
        if name in shipped:
            return shipped[name]
        if language != DEFAULT_LANGUAGE:
            translated = await self.tools.saved_reply(f"{name}{HINDI_SUFFIX}")
            if translated is not None:
                return translated.text
        saved = await self.tools.saved_reply(name)
        return saved.text if saved is not None else None

    async def _unknown_name(self, name: str) -> str:
        names = sorted(await self.canned_names())
        close = difflib.get_close_matches(name, names, n=CLOSE_NAMES, cutoff=0.5)
        text = tool_message("canned.unknown", name=escape(name))
        if close:
            return text + tool_message("canned.close_names", names=", ".join(close))
        return text + tool_message("canned.all_names", names=", ".join(names[:30]))

    async def send_canned(self, case: CaseRef, user: User, name: str, chat_id: int) -> str:
        """/reply NAME in the case's topic: what to answer there (the ack, or why not)."""
        name = name.strip().lower()
        if not NAME.fullmatch(name):
            return tool_message("canned.bad_name", name=escape(name[:40]))
        if await self._canned_text(name) is None:
            return await self._unknown_name(name)
        staff = await self.staff_member(user)
        refusal = await self._held_by(case, staff)  # type: ignore[attr-defined]
        if refusal:
            return refusal
        patient = await self._patient(case)
        if patient is None:
            return message("staff.no_case_here")
        if patient.blocked:
            return message("staff.patient_blocked")
        text = await self._canned_text(name, patient.speaks) or ""
        prefix = message(
            "patient_staff.staff_prefix", lang=patient.speaks, holder=escape(staff.display_name)
        )
        parts = split_text(text, staff_text_limit(prefix))
        for part in parts:
            record = {
                "patient_id": patient.id,
                "author": "staff",
                "text": part,
                "staff_member_id": staff.id,
                "relayed_chat_id": chat_id,
                "relayed_message_id": None,
            }
            await self.outbox.send(
                patient.chat_id, text_payload(f"{prefix}\n{escape(part)}", None, record)
            )
        await self.repository.audit(
            actor_type="staff",
            actor_id=str(staff.id),
            action="canned.send",
            target=f"case:{case.id}",
            details={"name": name, "parts": len(parts)},
        )
        holder = escape(staff.display_name)
        ack = (
            tool_message("canned.sent", name=name, holder=holder)
            if len(parts) == 1
            else tool_message("canned.sent_parts", name=name, holder=holder, parts=len(parts))
        )
        return f"{ack}\n<i>{escape(_preview(text, PREVIEW_CHARS))}</i>"

    async def save_canned(self, user: User, incoming: Message, name: str) -> str:
        """/save NAME, replying to one's own message: keep its text as a canned reply."""
        name = name.strip().lower()
        if not name:
            return tool_message("canned.usage_save")
        if not NAME.fullmatch(name):
            return tool_message("canned.bad_name", name=escape(name[:40]))
        if name in shipped_replies():
            return tool_message("canned.reserved", name=name)
        original = incoming.reply_to_message
        # In a forum topic an unreplied message "replies" to the topic's creation.
        if (
            original is None
            or original.forum_topic_created is not None
            or original.from_user is None
            or original.from_user.id != user.id
        ):
            return tool_message("canned.not_own")
        text = (original.text or "").strip()
        if not text:
            return tool_message("canned.no_text")
        if len(text) > TELEGRAM_TEXT_LIMIT:
            return tool_message("canned.too_long", length=len(text), limit=TELEGRAM_TEXT_LIMIT)
        staff = await self.staff_member(user)
        created = await self.tools.save_reply(name, text, staff.id)
        return tool_message("canned.saved" if created else "canned.replaced", name=name)


def _preview(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"
