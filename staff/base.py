"""What every part of the staff desk shares: its connections and the small helpers they all use.

Nothing here calls Telegram for a staff group directly: what is said there is recorded in the
group's lanes (`_enqueue`) and sent by the group's paced sender (staff/sender.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from telegram import Bot, InlineKeyboardMarkup, ReplyParameters, User
from telegram.constants import ParseMode

from bot.content import message
from bot.outbox import Outbox, text_payload
from bot.ratelimit import OWN_PACING
from staff.sender import LIVE, PROMPT, GroupSender
from storage import CaseRef, PatientRef, Repository, StaffRef
from storage.staff_lanes import StaffLaneStore, StaffSend
from storage.timeutil import utcnow

# The least time between two edits of a group's queue summary: what comes meanwhile is merged.
SUMMARY_GAP_SECONDS = 2.0
# In a quiet group, where each new case gets its topic and card at once, the summary's edit
# for it may wait this long after the last, to be merged with the next cases'.
QUIET_SUMMARY_GAP_SECONDS = 20.0


class DeskParts:
    """The state the desk's parts (membership, topics, relay, actions, reminders) work on."""

    bot: Bot
    repository: Repository
    outbox: Outbox
    lanes: StaffLaneStore
    # Every staff group; the first also holds the cases announced before there were more.
    chat_ids: tuple[int, ...]
    chat_id: int
    senders: dict[int, GroupSender]
    # Per group: when this worker last sent its queue summary.
    _summary_sent: dict[int, datetime]

    def group_of(self, case: CaseRef) -> int:
        """The staff group the case is in."""
        return case.staff_chat_id if case.staff_chat_id is not None else self.chat_id

    def topic_coming(self, case: CaseRef) -> bool:
        """Whether the case has its topic, or will before anything said now about it: a case
        held by staff has it, or has it ahead in the live lane (taken over from the summary)."""
        return case.thread_id is not None or case.status == "with_staff"

    def paced(self) -> dict[str, Any]:
        """Keyword arguments of a call the group's sender paces (skips PTB's group limiter)."""
        return {"rate_limit_args": OWN_PACING} if getattr(self.bot, "rate_limiter", None) else {}

    async def _enqueue(
        self,
        chat_id: int,
        lane: int,
        op: str,
        payload: dict[str, Any],
        *,
        case_id: int | None = None,
        merge_key: str | None = None,
        not_before: datetime | None = None,
    ) -> None:
        """Record a send into a staff group and wake its sender; nothing here waits for it."""
        await self.lanes.enqueue(
            chat_id,
            lane,
            op,
            payload,
            case_id=case_id,
            merge_key=merge_key,
            not_before=not_before,
        )
        sender = self.senders.get(chat_id)
        if sender is not None:
            sender.wake()

    async def refresh_summary(
        self, chat_id: int, lane: int = PROMPT, gap: float = SUMMARY_GAP_SECONDS
    ) -> None:
        """Edit the group's summary to show the queue as it is when the edit is sent: merged
        with an edit still waiting (which goes sooner if this one is due sooner), and no
        sooner than `gap` seconds after the last."""
        last = self._summary_sent.get(chat_id)
        due = last + timedelta(seconds=gap) if last is not None else None
        await self.lanes.enqueue(
            chat_id,
            lane,
            "queue_summary",
            {},
            merge_key="queue",
            not_before=due if due is not None and due > utcnow() else None,
            sooner=True,
        )
        sender = self.senders.get(chat_id)
        if sender is not None:
            sender.wake()

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

    async def _say_in_topic(self, case: CaseRef, text: str, lane: int = LIVE) -> None:
        """Say something in the case's topic (found when it is sent: it may be announced yet)."""
        await self._enqueue(
            self.group_of(case), lane, "say", {"text": text, "case_id": case.id}, case_id=case.id
        )

    async def reply_in_group(
        self, chat_id: int, thread_id: int | None, reply_to: int | None, text: str
    ) -> None:
        """Answer a staff member's command or message where they wrote it, in the live lane."""
        await self._enqueue(
            chat_id, LIVE, "say", {"text": text, "thread_id": thread_id, "reply_to": reply_to}
        )

    async def _send_say(self, entry: StaffSend) -> None:
        payload = entry.payload
        thread_id = payload.get("thread_id")
        if payload.get("case_id") is not None:
            case = await self.repository.get_case(int(payload["case_id"]))
            if case is None:
                return  # erased meanwhile
            thread_id = case.thread_id
        reply_to = payload.get("reply_to")
        await self.bot.send_message(
            entry.chat_id,
            payload["text"],
            parse_mode=ParseMode.HTML,
            message_thread_id=thread_id,
            reply_parameters=(
                ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
            ),
            **self.paced(),
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
