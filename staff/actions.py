"""The staff's actions on a case: take over (first press wins), hand back, close.

A case is taken over from its card or from the group's queue summary, before its topic
exists: then its topic and card are made at once, the card showing who holds it. What they
say in the staff group (the topic and card, the card's new state, the acknowledgement, the
topic's close) goes in the live lane, ahead of anything waiting for the group's budget; the
queue summary follows; the patient hears through the outbox, which no staff group's budget
holds back.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, User

from bot.content import message
from bot.leave import back_to_bot_markup
from staff.relay import Relay
from staff.sender import LIVE
from staff.topics import CaseTopics
from storage import CaseRef


@dataclass(frozen=True)
class Outcome:
    """What a staff action did: `done` is False when it was refused, `text` says why or what."""

    done: bool
    text: str


class CaseActions(CaseTopics, Relay):
    """claim_case, release and close: each updates the card, the topic and the patient."""

    async def claim_case(self, case: CaseRef, user: User) -> Outcome:
        """First press wins; everyone else learns who holds the case."""
        staff = await self.staff_member(user)
        result = await self.repository.claim_case(case.id, staff.id)
        case = result.case
        if not result.won:
            holder = await self._holder_name(case) or "?"
            return Outcome(
                False, message("staff.already_held", reference=case.reference, holder=holder)
            )
        patient = await self._patient(case)
        group = self.group_of(case)
        if case.card_message_id is None:
            # Taken over from the summary: the topic and card now, the card saying who holds it.
            await self.open_topic(case, group, LIVE)
        else:
            await self.refresh_card(case, patient)
            await self._say_in_topic(
                case,
                message(
                    "staff.claimed", holder=escape(staff.display_name), reference=case.reference
                ),
            )
        await self.refresh_summary(group)
        if patient is not None:
            await self._tell_patient(
                patient,
                case,
                message(
                    "patient_staff.joined", lang=patient.speaks, holder=escape(staff.display_name)
                ),
                back_to_bot_markup(),  # the patient can always leave: bot/leave.py
            )
        return Outcome(
            True, message("staff.claimed", holder=staff.display_name, reference=case.reference)
        )

    async def release(self, case: CaseRef, user: User) -> Outcome:
        """Hand the patient back to the bot."""
        staff = await self.staff_member(user)
        refusal = await self._held_by(case, staff)
        if refusal:
            return Outcome(False, refusal)
        case = await self.repository.release_case(case.id, staff.id)
        patient = await self._patient(case)
        await self.refresh_card(case, patient)
        if patient is not None:
            await self._tell_patient(
                patient, case, message("patient_staff.released", lang=patient.speaks)
            )
        text = message(
            "staff.released", holder=escape(staff.display_name), reference=case.reference
        )
        await self._say_in_topic(case, text)
        return Outcome(True, text)

    async def close(self, case: CaseRef, user: User) -> Outcome:
        """End the case; the patient is told and asked for a rating."""
        staff = await self.staff_member(user)
        if case.holder_staff_id not in (None, staff.id):
            return Outcome(False, await self._held_by(case, staff) or "")
        was_queued = case.status == "queued"
        case = await self.repository.close_case(case.id, staff.id)
        if was_queued:
            await self.refresh_summary(self.group_of(case))
        patient = await self._patient(case)
        await self.refresh_card(case, patient)
        if patient is not None:
            await self._tell_patient(
                patient,
                case,
                message("patient_staff.closed", lang=patient.speaks, reference=case.reference),
            )
            stars = [
                InlineKeyboardButton(str(n), callback_data=f"gw:rate:{case.id}:{n}")
                for n in range(1, 6)
            ]
            await self._tell_patient(
                patient,
                case,
                message("rating_prompt", lang=patient.speaks),
                InlineKeyboardMarkup([stars]),
            )
        text = message("staff.closed", holder=escape(staff.display_name), reference=case.reference)
        await self._say_in_topic(case, text)
        if case.thread_id is not None:
            await self._enqueue(
                self.group_of(case),
                LIVE,
                "close_topic",
                {"thread_id": case.thread_id},
                case_id=case.id,
            )
        return Outcome(True, text)
