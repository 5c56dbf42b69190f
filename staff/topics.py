"""A forum topic per case with its card: announce a case, refresh its card, remove topics."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError

from bot.content import message
from staff.base import DeskParts
from staff.card import render_card, topic_name
from storage import CaseRef, PatientRef

log = logging.getLogger(__name__)


class CaseTopics(DeskParts):
    """The case's topic and the card at its top (its buttons: Take over / Hand back / Close)."""

    def _card_buttons(self, case: CaseRef) -> InlineKeyboardMarkup | None:
        if case.status == "closed":
            return None
        first = (
            InlineKeyboardButton(
                message("staff.release_button"), callback_data=f"staff:release:{case.id}"
            )
            if case.status == "with_staff"
            else InlineKeyboardButton(
                message("staff.take_over_button"), callback_data=f"staff:claim:{case.id}"
            )
        )
        close = InlineKeyboardButton(
            message("staff.close_button"), callback_data=f"staff:close:{case.id}"
        )
        return InlineKeyboardMarkup([[first, close]])

    async def _card_text(self, case: CaseRef, patient: PatientRef) -> str:
        consent = await self.repository.consent_state(patient.id)
        last = await self.repository.last_messages(patient.id, limit=5)
        return render_card(case, patient.display_name, consent, last, await self._holder_name(case))

    async def announce_case(self, case: CaseRef, patient: PatientRef) -> None:
        """Open the case's topic with its card, or refresh the card of a case already there."""
        text = await self._card_text(case, patient)
        if case.thread_id is None:
            topic = await self.bot.create_forum_topic(
                self.chat_id, topic_name(case, patient.display_name)
            )
            card = await self.bot.send_message(
                self.chat_id,
                text,
                parse_mode=ParseMode.HTML,
                message_thread_id=topic.message_thread_id,
                reply_markup=self._card_buttons(case),
            )
            await self.repository.set_case_topic(case.id, topic.message_thread_id, card.message_id)
            log.info("case announced", extra={"case": case.reference, "urgency": case.urgency})
            return
        await self.refresh_card(case, patient)
        if case.urgency == "urgent":
            await self.bot.send_message(
                self.chat_id,
                text,
                parse_mode=ParseMode.HTML,
                message_thread_id=case.thread_id,
                reply_markup=self._card_buttons(case),
            )

    async def refresh_card(self, case: CaseRef, patient: PatientRef | None = None) -> None:
        """Rewrite the card so it shows the case as it is now."""
        if case.card_message_id is None:
            return
        patient = patient or await self._patient(case)
        if patient is None:
            return
        try:
            await self.bot.edit_message_text(
                await self._card_text(case, patient),
                chat_id=self.chat_id,
                message_id=case.card_message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=self._card_buttons(case),
            )
        except BadRequest:
            # "message is not modified" and edits of deleted cards change nothing for anyone.
            pass

    async def notify_blocked(self, patient: PatientRef) -> None:
        """The outbox found the patient has blocked the bot: staff holding the case see it."""
        case = await self.repository.open_case_for(patient.id)
        if case is not None and case.thread_id is not None:
            await self._say_in_topic(case, message("staff.patient_blocked"))

    async def notice_in_topic(self, case: CaseRef, text: str) -> None:
        """A notice for the staff of a case (e.g. the patient withdrew consent, see
        bot/withdrawal.py), in its topic, and the card refreshed to show it."""
        if case.thread_id is not None:
            await self._say_in_topic(case, text)
            await self.refresh_card(case)

    async def forget_topics(self, thread_ids: Sequence[int]) -> None:
        """Erasure: the topics of the erased patient's cases go too."""
        for thread_id in thread_ids:
            with contextlib.suppress(TelegramError):
                await self.bot.delete_forum_topic(self.chat_id, thread_id)
