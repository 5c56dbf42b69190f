"""Private notes: a message in a case topic that starts with /note stays among staff.

It is never relayed: it is kept with the case as a transcript row with author "note" (the
console shows it as a staff note, /mydata exports it marked as one) and acknowledged in the
topic, in the live lane. Any staff member of the group may write one, holder or not.
"""

from __future__ import annotations

import re

from telegram import Message, User

from bot.content import tool_message
from bot.incoming import media_of
from staff.base import DeskParts
from storage import CaseRef
from storage.staff_tools import StaffToolsStore

# "/note", "/note@our_bot", then the note; a caption may carry it too (a photo with a note).
NOTE_COMMAND = re.compile(r"^/note(?:@\w+)?(?:\s+|$)", re.IGNORECASE)


def note_text(incoming: Message) -> str | None:
    """The note a message carries after /note (may be empty), or None if it is no note."""
    body = incoming.text if incoming.text is not None else incoming.caption
    if body is None:
        return None
    found = NOTE_COMMAND.match(body)
    return body[found.end() :].strip() if found else None


class StaffNotes(DeskParts):
    """/note in a case topic."""

    tools: StaffToolsStore

    async def keep_note(self, case: CaseRef | None, user: User, incoming: Message) -> str:
        """Store the note with the case; what to answer in the topic."""
        if case is None or case.patient_id is None:
            return tool_message("note.no_case")
        text = note_text(incoming) or ""
        media_type, file_id = media_of(incoming)
        if not text and media_type is None:
            return tool_message("note.usage")
        staff = await self.staff_member(user)
        await self.tools.add_note(
            case,
            staff.id,
            text or None,
            incoming.chat_id,
            incoming.message_id,
            media_type=media_type,
            file_id=file_id,
        )
        return tool_message("note.kept", reference=case.reference)
