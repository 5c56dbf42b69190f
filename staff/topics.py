"""A forum topic per case with its card: announce a case, refresh its card, remove topics.

A new case is shown first in its group's queue summary (staff/reminders.py), one edit for any
number of new cases, where it can be taken over at once. Its topic (the topic's creation,
then the card as its first message) costs the group two messages, so it is made when it is
needed: an urgent case's at once (the prompt lane), a case taken over at once (the live lane,
staff/actions.py), any other in the background lane, while the group has budget to spare.
In a quiet group (its budget could pay for the topic, the card and the summary's edit without
touching the reserve) the topic and card come at once and the summary's edit follows in the
background. A card's refresh replaces a refresh of the same card still waiting.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.content import message
from staff.base import QUIET_SUMMARY_GAP_SECONDS, DeskParts
from staff.card import language_label, render_card, topic_name
from staff.sender import BULK, LIVE, PROMPT
from storage import CaseRef, PatientRef
from storage.staff_lanes import StaffSend

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
        holder = await self._holder_name(case)
        guessed = (case.summary or {}).get("language")
        language = language_label(patient.speaks, patient.language_chosen, guessed)
        return render_card(case, patient.display_name, consent, last, holder, language)

    async def announce_case(self, case: CaseRef, patient: PatientRef) -> None:
        """Show the case to its group (the least busy one, chosen now if it has none yet)."""
        chat_id = await self.lanes.assign_group(case.id, self.chat_ids)
        sender = self.senders.get(chat_id)
        if case.urgency != "urgent" and sender is not None and sender.has_spare(2 + 1):
            # A quiet group: the topic and card now, as many cases as its budget has room for;
            # the summary follows when there is budget to spare.
            await self.open_topic(case, chat_id, PROMPT)
            await self.refresh_summary(chat_id, BULK, QUIET_SUMMARY_GAP_SECONDS)
            return
        await self.refresh_summary(chat_id)
        await self.open_topic(case, chat_id, PROMPT if case.urgency == "urgent" else BULK)

    async def open_topic(self, case: CaseRef, chat_id: int, lane: int) -> None:
        """The case's topic and card (or its card's refresh), in `lane`: one waiting in a later
        lane moves up rather than being recorded twice."""
        await self._enqueue(
            chat_id,
            lane,
            "announce",
            {"case_id": case.id},
            case_id=case.id,
            merge_key=f"announce:{case.id}",
        )

    @staticmethod
    def _nothing_to_announce(case: CaseRef | None) -> bool:
        """Closed, or back with the bot before its topic was made (the patient left)."""
        if case is None or case.status == "closed":
            return True
        return case.status == "bot" and case.thread_id is None

    async def _announcement_cost(self, entry: StaffSend) -> int:
        case = await self.repository.get_case(int(entry.payload["case_id"]))
        if case is None or self._nothing_to_announce(case):
            return 0
        if case.card_message_id is None:
            return 1 if case.thread_id is not None else 2
        return 2 if case.urgency == "urgent" else 1

    async def _send_announcement(self, entry: StaffSend) -> None:
        """Open the topic and post the card; for a case already there, refresh its card (and
        post it again when it became urgent, so staff are notified)."""
        case = await self.repository.get_case(int(entry.payload["case_id"]))
        if case is None or self._nothing_to_announce(case):
            return
        patient = await self._patient(case)
        if patient is None:
            return  # erased meanwhile: nothing left to announce
        thread_id = case.thread_id
        if thread_id is None:
            topic = await self.bot.create_forum_topic(
                entry.chat_id, topic_name(case, patient.display_name), **self.paced()
            )
            thread_id = topic.message_thread_id
            # Kept at once: a flood wait before the card must not open a second topic.
            await self.repository.set_case_topic(case.id, thread_id, None)
        text = await self._card_text(case, patient)
        if case.card_message_id is not None:
            await self._edit_card(entry.chat_id, case, text)
            if case.urgency != "urgent":
                return
        card = await self.bot.send_message(
            entry.chat_id,
            text,
            parse_mode=ParseMode.HTML,
            message_thread_id=thread_id,
            reply_markup=self._card_buttons(case),
            **self.paced(),
        )
        await self.repository.set_case_topic(case.id, thread_id, card.message_id)
        log.info("case announced", extra={"case": case.reference, "urgency": case.urgency})
        now = await self.repository.get_case(case.id)
        if now is not None and (now.status, now.holder_staff_id) != (
            case.status,
            case.holder_staff_id,
        ):
            # Taken over (or closed) while the card was on its way: it shows that too.
            await self.refresh_card(now)

    async def refresh_card(
        self, case: CaseRef, patient: PatientRef | None = None, lane: int = LIVE
    ) -> None:
        """Rewrite the card so it shows the case as it is when the edit is sent."""
        del patient  # the card is drawn from the database when its turn comes
        await self._enqueue(
            self.group_of(case),
            lane,
            "card",
            {"case_id": case.id},
            case_id=case.id,
            merge_key=f"card:{case.id}",
        )

    async def _card_cost(self, entry: StaffSend) -> int:
        case = await self.repository.get_case(int(entry.payload["case_id"]))
        return 0 if case is None or case.card_message_id is None else 1

    async def _send_card(self, entry: StaffSend) -> None:
        case = await self.repository.get_case(int(entry.payload["case_id"]))
        if case is None or case.card_message_id is None:
            return  # not shown yet: its announcement draws it as it is then
        patient = await self._patient(case)
        if patient is None:
            return
        await self._edit_card(entry.chat_id, case, await self._card_text(case, patient))

    async def _edit_card(self, chat_id: int, case: CaseRef, text: str) -> None:
        try:
            await self.bot.edit_message_text(
                text,
                chat_id=chat_id,
                message_id=case.card_message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=self._card_buttons(case),
                **self.paced(),
            )
        except BadRequest as exc:
            if "not modified" not in exc.message.lower():
                raise

    async def _send_close_topic(self, entry: StaffSend) -> None:
        await self.bot.close_forum_topic(
            entry.chat_id, int(entry.payload["thread_id"]), **self.paced()
        )

    async def _send_delete_topic(self, entry: StaffSend) -> None:
        await self.bot.delete_forum_topic(
            entry.chat_id, int(entry.payload["thread_id"]), **self.paced()
        )

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
        """Erasure, by topic alone: topics of the first group (see forget_cases)."""
        for thread_id in thread_ids:
            await self._enqueue(self.chat_id, LIVE, "delete_topic", {"thread_id": thread_id})

    async def cases_to_forget(
        self, patient: PatientRef
    ) -> list[tuple[int, int | None, int | None]]:
        """Before an erasure: the patient's cases, their groups and topics."""
        return await self.lanes.cases_of_patient(patient.id)

    async def forget_cases(
        self, cases: Sequence[tuple[int, int | None, int | None]]
    ) -> None:
        """Erasure: nothing more is sent about these cases, and their topics go too."""
        await self.lanes.forget_cases([case_id for case_id, _, _ in cases])
        for _, chat_id, thread_id in cases:
            if thread_id is not None:
                group = chat_id if chat_id is not None else self.chat_id
                await self._enqueue(group, LIVE, "delete_topic", {"thread_id": thread_id})
