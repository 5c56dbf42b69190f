"""A case's forum topic deleted or closed by someone: noticed when the bot sends into it.

Telegram answers such a send with 400 "message thread not found", TOPIC_DELETED or
TOPIC_CLOSED. The send that failed is then not lost: the case gets a new topic (its card
first, the topic created and the card posted on the spot, so the case's buttons are there
at once), the new thread id is stored, and the failed send is performed again, into the new
topic (a patient's message copied, a notice said). The transcript so far follows in the
later lane, in at most three messages within Telegram's 4,096 characters each (the newest
part of it when it is longer; the console has all of it).
"""

from __future__ import annotations

import logging
from html import escape

from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError

from bot.content import tool_message
from staff.canned import TELEGRAM_TEXT_LIMIT
from staff.card import topic_name
from staff.sender import BULK
from staff.topics import CaseTopics
from storage.refs import CASE_REFERENCE_OFFSET
from storage.staff_lanes import StaffSend
from storage.staff_tools import StaffToolsStore, TranscriptLine

log = logging.getLogger(__name__)

TOPIC_GONE = ("message thread not found", "topic_deleted", "topic_closed")
# Operations about a case's topic that may move it; the rest (closing or deleting the
# topic, which mean the case is done with it) are left to fail.
RECOVERABLE = ("say", "copy", "announce", "rename_topic")
# The transcript a new topic gets: at most this many messages of it, the newest.
TRANSCRIPT_PARTS = 3
TRANSCRIPT_ROWS = 200
LINE_CHARS = 300


def topic_gone(error: BadRequest) -> bool:
    """Whether Telegram refused a send because its forum topic is deleted or closed."""
    return any(text in error.message.lower() for text in TOPIC_GONE)


def transcript_parts(
    header: str, lines: list[str], limit: int = TELEGRAM_TEXT_LIMIT, parts: int = TRANSCRIPT_PARTS
) -> tuple[list[str], int]:
    """The newest lines that fit in `parts` messages of `limit` characters (the header in the
    first), oldest first; and how many older lines were left out."""
    kept: list[str] = []
    budget = [limit - len(header) - 1] + [limit] * (parts - 1)
    index, used = 0, 0
    for line in reversed(lines):
        cost = len(line) + 1
        while index < len(budget) and used + cost > budget[index]:
            index, used = index + 1, 0
        if index == len(budget):
            break
        kept.append(line)
        used += cost
    kept.reverse()
    omitted = len(lines) - len(kept)
    messages: list[str] = []
    current = header
    for line in kept:
        if len(current) + 1 + len(line) > limit:
            messages.append(current)
            current = line
        else:
            current = f"{current}\n{line}"
    messages.append(current)
    return messages, omitted


def _line(row: TranscriptLine, patient_name: str) -> str:
    if row.author == "note":
        author = tool_message("recovery.note_author", name=row.staff_name or "?")
    elif row.author == "staff":
        author = tool_message("recovery.staff", name=row.staff_name or "?")
    elif row.author == "patient":
        author = patient_name
    else:
        author = tool_message("recovery.bot")
    text = row.text if row.text else f"[{row.media_type or 'message'}]"
    text = " ".join(text.split())
    if len(text) > LINE_CHARS:
        text = text[: LINE_CHARS - 1] + "…"
    return tool_message(
        "recovery.line", time=row.created_at.strftime("%d %b %H:%M"), author=author, text=text
    )


class TopicRecovery(CaseTopics):
    """A new topic for a case whose topic is gone, with what was said so far."""

    tools: StaffToolsStore

    async def recover_topic(self, entry: StaffSend, error: BadRequest) -> bool:
        """Give the entry's case a new topic; True when the entry should be performed again."""
        if not topic_gone(error) or entry.op not in RECOVERABLE or entry.case_id is None:
            return False
        case = await self.repository.get_case(entry.case_id)
        if case is None or case.status == "closed" or case.thread_id is None:
            return False
        patient = await self._patient(case)
        if patient is None:
            return False
        prefix = tool_message("urgent.topic_prefix") if case.urgency == "urgent" else ""
        name = (prefix + topic_name(case, patient.display_name))[:128]
        topic = await self.bot.create_forum_topic(entry.chat_id, name, **self.paced())
        self._spent(entry.chat_id)
        await self.tools.move_topic(case.id, topic.message_thread_id)
        log.warning(
            "case topic gone; the case has a new topic",
            extra={"case": case.reference, "op": entry.op},
        )
        # Recorded before anything else is sent, so a flood wait below loses none of it.
        for text in await self._transcript_so_far(case.id, patient.display_name):
            # One entry each: a flood wait between them sends none twice.
            await self._say_in_topic(case, text, lane=BULK)
        if entry.op != "announce":
            # The card first, as in every case topic; the announcement posts it itself.
            moved = await self.repository.get_case(case.id)
            assert moved is not None
            try:
                card = await self.bot.send_message(
                    entry.chat_id,
                    await self._card_text(moved, patient),
                    parse_mode=ParseMode.HTML,
                    message_thread_id=topic.message_thread_id,
                    reply_markup=self._card_buttons(moved),
                    **self.paced(),
                )
            except TelegramError:
                # A flood wait, say: the announcement posts the card into the new topic later.
                await self.announce_case(moved, patient)
                raise
            self._spent(entry.chat_id)
            await self.repository.set_case_topic(case.id, topic.message_thread_id, card.message_id)
        return True

    def _spent(self, chat_id: int) -> None:
        """A message put in the group beyond the entry's own cost: the group's budget pays."""
        sender = self.senders.get(chat_id)
        if sender is not None:
            sender.budget.spend(1)

    async def _transcript_so_far(self, case_id: int, patient_name: str) -> list[str]:
        """The case's transcript as a few messages for its new topic, the newest kept."""
        total, rows = await self.tools.case_transcript(case_id, TRANSCRIPT_ROWS)
        lines = [escape(_line(row, patient_name)) for row in rows]
        reference = str(case_id + CASE_REFERENCE_OFFSET)
        header = tool_message("recovery.header", reference=reference, count=total)
        messages, omitted = transcript_parts(header, lines)
        if omitted or total > len(rows):
            # Room for the line saying so: cut again with it in the header.
            longest = tool_message("recovery.earlier", count=total)
            messages, omitted = transcript_parts(f"{header}\n{longest}", lines)
            note = tool_message("recovery.earlier", count=omitted + total - len(rows))
            messages[0] = messages[0].replace(longest, note, 1)
        return messages
