"""Relay both ways: the patient's messages and edits into the case topic, the holder's back."""

from __future__ import annotations

from html import escape

from telegram import Message, User
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.content import message
from bot.outbox import copy_payload, text_payload
from staff.base import DeskParts
from staff.canned import split_text, staff_text_limit
from staff.sender import LIVE
from storage import CaseRef, PatientRef, StaffRef
from storage.staff_lanes import StaffSend
from translation import DEFAULT_LANGUAGE


class Relay(DeskParts):
    """Who holds a case, and the copying of messages between the patient and the topic."""

    async def _held_by(self, case: CaseRef, staff: StaffRef) -> str | None:
        """None when this staff member holds the case, else why they may not act on it."""
        if case.holder_staff_id is None:
            return message("staff.not_held", reference=case.reference)
        if case.holder_staff_id != staff.id:
            holder = await self._holder_name(case) or "?"
            return message("staff.not_holder", reference=case.reference, holder=holder)
        return None

    async def holds(self, patient: PatientRef) -> bool:
        """Whether a staff member holds this patient's case (then the bot stays silent)."""
        return self.holds_case(await self.repository.open_case_for(patient.id))

    def holds_case(self, case: CaseRef | None) -> bool:
        """Whether a staff member holds this (open) case."""
        return case is not None and case.status == "with_staff"

    async def relay_from_patient(self, patient: PatientRef, incoming: Message) -> None:
        """Copy the patient's message (text or media) into the case topic, in the live lane:
        recorded now, sent by the group's sender, so the patient's turn does not wait. A case
        just taken over from the summary may have no topic yet: its topic comes first in the
        same lane, so the copy finds it."""
        case = await self.repository.open_case_for(patient.id)
        if case is None or not self.topic_coming(case):
            return
        await self._enqueue(
            self.group_of(case),
            LIVE,
            "copy",
            {
                "case_id": case.id,
                "from_chat_id": incoming.chat_id,
                "message_id": incoming.message_id,
            },
            case_id=case.id,
        )

    async def _send_copy(self, entry: StaffSend) -> None:
        payload = entry.payload
        case = await self.repository.get_case(int(payload["case_id"]))
        if case is None or case.thread_id is None:
            return  # erased meanwhile
        copy = await self.bot.copy_message(
            entry.chat_id,
            payload["from_chat_id"],
            payload["message_id"],
            message_thread_id=case.thread_id,
            **self.paced(),
        )
        await self.repository.link_relay(
            payload["from_chat_id"], payload["message_id"], entry.chat_id, copy.message_id
        )

    async def relay_patient_edit(self, patient: PatientRef, edited: Message) -> None:
        """Show staff the new version of a message the patient edited."""
        case = await self.repository.open_case_for(patient.id)
        if case is None or not self.topic_coming(case):
            return
        text = escape(edited.text or edited.caption or "")
        await self._say_in_topic(case, message("staff.patient_edited", text=text))

    async def alert_emergency(self, patient: PatientRef) -> None:
        """A red flag while a person holds the case: tell the holder in the topic at once."""
        case = await self.repository.open_case_for(patient.id)
        if case is None or not self.topic_coming(case):
            return
        holder = await self._holder_name(case) or ""
        await self._say_in_topic(
            case, message("staff.emergency_alert", holder=escape(holder), reference=case.reference)
        )

    async def relay_from_staff(self, case: CaseRef, user: User, incoming: Message) -> str | None:
        """The holder's message goes to the patient under their name; others are refused."""
        staff = await self.staff_member(user)
        refusal = await self._held_by(case, staff)
        if refusal:
            return refusal
        patient = await self._patient(case)
        if patient is None:
            return message("staff.no_case_here")
        prefix = message(
            "patient_staff.staff_prefix", lang=patient.speaks, holder=escape(staff.display_name)
        )
        if patient.blocked:
            return message("staff.patient_blocked")
        record = {
            "patient_id": patient.id,
            "author": "staff",
            "text": incoming.text or incoming.caption,
            "media_type": None if incoming.text is not None else _media_kind(incoming),
            "staff_member_id": staff.id,
            "relayed_chat_id": incoming.chat_id,
            "relayed_message_id": incoming.message_id,
        }
        if incoming.text is not None:
            # A full-length message and the holder's name exceed one Telegram message.
            for number, part in enumerate(split_text(incoming.text, staff_text_limit(prefix))):
                part_record = {**record, "text": part}
                if number:
                    part_record["relayed_message_id"] = None  # an edit goes to the first
                payload = text_payload(f"{prefix}\n{escape(part)}", None, part_record)
                await self.outbox.send(patient.chat_id, payload)
            return None
        caption = f"{prefix}\n{escape(incoming.caption or '')}".strip()
        payload = copy_payload(incoming.chat_id, incoming.message_id, caption, record)
        await self.outbox.send(patient.chat_id, payload)
        return None

    async def relay_staff_edit(self, user: User, edited: Message) -> str | None:
        """A staff edit of a relayed text edits the patient's copy too."""
        row = await self.repository.find_by_relayed(edited.message_id, edited.chat_id)
        if row is None or edited.text is None:
            return message("staff.edit_relay_failed") if row is not None else None
        staff = await self.staff_member(user)
        patient = await self.repository.get_patient(
            row.chat_id
        )  # a private chat's id is the user's
        lang = patient.speaks if patient is not None else DEFAULT_LANGUAGE
        prefix = message("patient_staff.staff_prefix", lang=lang, holder=escape(staff.display_name))
        try:
            await self.bot.edit_message_text(
                f"{prefix}\n{escape(edited.text)}",
                chat_id=row.chat_id,
                message_id=row.telegram_message_id,
                parse_mode=ParseMode.HTML,
            )
        except TelegramError:
            return message("staff.edit_relay_failed")
        await self.repository.edit_message_text(
            row.chat_id, row.telegram_message_id or 0, edited.text
        )
        return None


def _media_kind(incoming: Message) -> str:
    for kind in ("photo", "document", "voice", "video", "sticker", "audio", "animation"):
        if getattr(incoming, kind):
            return kind
    return "other"
