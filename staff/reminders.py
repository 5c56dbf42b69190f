"""The queue: its summary in each staff group, /queue, and reminders of cases waiting too long.

Each group has one queue summary message, edited in place rather than posted again: the
waiting cases, each with its Take over button (staff/summary.py), so a case can be taken over
before its topic exists. A new case, a take over, a close and the reminders each ask for an
edit; edits still waiting are merged into one, and one follows another no sooner than
SUMMARY_GAP_SECONDS (staff/base.py), so a burst of cases costs the group one edit every few
seconds. /queue posts it afresh where it was asked, and that message is the one edited from
then on.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from datetime import datetime, timedelta, timezone

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters, User
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.content import message
from bot.leave import back_to_bot_markup
from bot.logs import failure_fields
from staff.base import DeskParts
from staff.card import render_queue
from staff.sender import LIVE, PROMPT
from staff.summary import SummaryView, render_summary
from storage import CaseRef
from storage.staff_lanes import StaffSend
from storage.timeutil import utcnow

log = logging.getLogger(__name__)
# A page of the summary a staff member turned to stays this long; then the first page again,
# where the urgent and the longest waiting cases are.
PAGE_KEPT_SECONDS = 120.0


def summary_markup(view: SummaryView) -> InlineKeyboardMarkup | None:
    """The summary page's buttons as Telegram's keyboard (None when nobody waits)."""
    if not view.rows:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label, callback_data=data) for label, data in row]
            for row in view.rows
        ]
    )


class QueueReminders(DeskParts):
    """/queue, the queue summary, and the background loop that reminds staff of overdue cases."""

    renotify_seconds: float
    _renotifier: asyncio.Task[None] | None
    # Per group: the page of the summary a staff member turned to, and until when it stays.
    _summary_pages: dict[int, tuple[int, datetime]]

    async def _names(self, cases: list[CaseRef]) -> dict[int, str]:
        names: dict[int, str] = {}
        for case in cases:
            patient = await self._patient(case)
            names[case.id] = patient.display_name if patient else "?"
        return names

    async def queue_text(self, user: User) -> str:
        """Waiting cases of every group, urgent first, then oldest."""
        cases = await self.repository.queue()
        await self.repository.audit(actor_type="staff", actor_id=str(user.id), action="read_queue")
        return render_queue(cases, await self._names(cases), datetime.now(timezone.utc))

    async def post_queue(
        self, user: User, chat_id: int, thread_id: int | None, reply_to: int | None
    ) -> None:
        """/queue in a staff group: that group's summary, posted where it was asked."""
        await self.repository.audit(actor_type="staff", actor_id=str(user.id), action="read_queue")
        payload = {"post": True, "thread_id": thread_id, "reply_to": reply_to}
        await self._enqueue(chat_id, PROMPT, "queue_summary", payload, merge_key="queue:post")

    async def show_summary_page(self, chat_id: int, page: int) -> int:
        """A staff member turned the summary's page: shown at once (the live lane)."""
        page = max(0, page)
        self._summary_pages[chat_id] = (page, utcnow() + timedelta(seconds=PAGE_KEPT_SECONDS))
        await self._enqueue(chat_id, LIVE, "queue_summary", {}, merge_key="queue")
        return page

    async def _summary_view(self, chat_id: int) -> SummaryView:
        cases = await self.lanes.queued_cases(chat_id, self.chat_id)
        page, until = self._summary_pages.get(chat_id, (0, utcnow()))
        return render_summary(
            cases,
            await self._names(cases),
            datetime.now(timezone.utc),
            overdue_seconds=self.renotify_seconds,
            page=page if until > utcnow() else 0,
        )

    async def _send_queue_summary(self, entry: StaffSend) -> None:
        """Edit the group's summary in place; post it when asked to or when it is gone."""
        view = await self._summary_view(entry.chat_id)
        markup = summary_markup(view)
        self._summary_sent[entry.chat_id] = utcnow()
        existing = await self.lanes.queue_message(entry.chat_id)
        if existing is not None and not entry.payload.get("post"):
            try:
                await self.bot.edit_message_text(
                    view.text,
                    chat_id=entry.chat_id,
                    message_id=existing,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                    **self.paced(),
                )
                return
            except BadRequest as exc:
                if "not modified" in exc.message.lower():
                    return
                # Deleted by someone: post it again below.
        reply_to = entry.payload.get("reply_to")
        sent = await self.bot.send_message(
            entry.chat_id,
            view.text,
            parse_mode=ParseMode.HTML,
            message_thread_id=entry.payload.get("thread_id"),
            reply_markup=markup,
            reply_parameters=(
                ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
            ),
            **self.paced(),
        )
        await self.lanes.set_queue_message(entry.chat_id, sent.message_id)

    async def renotify_once(self) -> int:
        """Remind staff of cases waiting too long (each group's summary, edited in place), and
        tell those patients honestly."""
        overdue = await self.repository.cases_waiting_longer_than(self.renotify_seconds)
        by_group: dict[int, list[CaseRef]] = defaultdict(list)
        for case in overdue:
            by_group[self.group_of(case)].append(case)
            patient = await self._patient(case)
            if patient is not None and not patient.blocked:
                await self._tell_patient(
                    patient,
                    case,
                    message("patient_staff.waiting", lang=patient.speaks, reference=case.reference),
                    back_to_bot_markup(),
                )
            await self.repository.mark_renotified(case.id)
        for chat_id in by_group:
            await self.refresh_summary(chat_id)
        return len(overdue)

    async def _renotify_forever(self) -> None:
        interval = max(1.0, min(self.renotify_seconds / 4, 30.0))
        while True:
            await asyncio.sleep(interval)
            try:
                await self.renotify_once()
            except Exception as error:  # the reminder loop must outlive a passing failure
                log.error("queue reminder failed", extra=failure_fields(error))

    def start_reminders(self) -> None:
        """The reminder loop and each staff group's sender (they run for the bot's lifetime)."""
        for sender in self.senders.values():
            sender.start()
        if self._renotifier is None:
            self._renotifier = asyncio.create_task(self._renotify_forever())

    async def stop_reminders(self) -> None:
        if self._renotifier is not None:
            self._renotifier.cancel()
            try:
                await self._renotifier
            except asyncio.CancelledError:
                pass
            self._renotifier = None
        for sender in self.senders.values():
            await sender.stop()
