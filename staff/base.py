"""What every part of the staff desk shares: its connections and the small helpers they all use."""

from __future__ import annotations

from telegram import Bot, InlineKeyboardMarkup, User
from telegram.constants import ParseMode

from bot.content import message
from bot.outbox import Outbox, text_payload
from storage import CaseRef, PatientRef, Repository, StaffRef


class DeskParts:
    """The state the desk's parts (membership, topics, relay, actions, reminders) work on."""

    bot: Bot
    repository: Repository
    outbox: Outbox
    chat_id: int

    async def staff_member(self, user: User) -> StaffRef:
        """The staff member's row, created or refreshed from their Telegram profile."""
        return await self.repository.upsert_staff(user.id, user.full_name)

    async def _holder_name(self, case: CaseRef) -> str | None:
        if case.holder_staff_id is None:
            return None
        staff = await self.repository.get_staff(case.holder_staff_id)
        return staff.display_name if staff else None

    async def _patient(self, case: CaseRef) -> PatientRef | None:
        if case.patient_id is None:
            return None
        return await self.repository.get_patient_by_id(case.patient_id)

    async def _say_in_topic(self, case: CaseRef, text: str) -> None:
        await self.bot.send_message(
            self.chat_id, text, parse_mode=ParseMode.HTML, message_thread_id=case.thread_id
        )

    async def _tell_patient(
        self,
        patient: PatientRef,
        case: CaseRef,
        text: str,
        markup: InlineKeyboardMarkup | None = None,
    ) -> None:
        """To the patient through the durable outbox; a block is reported by notify_blocked."""
        if patient.blocked:
            await self._say_in_topic(case, message("staff.patient_blocked"))
            return
        record = {"patient_id": patient.id, "author": "bot", "text": text}
        await self.outbox.send(patient.chat_id, text_payload(text, markup, record))
