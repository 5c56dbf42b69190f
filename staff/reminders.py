"""The queue: /queue's listing, and reminders of cases waiting too long (staff and patient)."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone

from telegram import User

from bot.content import message
from bot.logs import failure_fields
from staff.base import DeskParts
from staff.card import render_queue

log = logging.getLogger(__name__)


class QueueReminders(DeskParts):
    """/queue, and the background loop that reminds staff of overdue cases."""

    renotify_seconds: float
    _renotifier: asyncio.Task[None] | None

    async def queue_text(self, user: User) -> str:
        """/queue: waiting cases, urgent first, then oldest."""
        cases = await self.repository.queue()
        names: dict[int, str] = {}
        for case in cases:
            patient = await self._patient(case)
            names[case.id] = patient.display_name if patient else "?"
        await self.repository.audit(actor_type="staff", actor_id=str(user.id), action="read_queue")
        return render_queue(cases, names, datetime.now(timezone.utc))

    async def renotify_once(self) -> int:
        """Remind staff of cases waiting too long, and tell those patients honestly."""
        overdue = await self.repository.cases_waiting_longer_than(self.renotify_seconds)
        for case in overdue:
            since = case.queued_at or case.opened_at
            minutes = int((datetime.now(timezone.utc) - since).total_seconds() // 60)
            if case.thread_id is not None:
                await self._say_in_topic(
                    case, message("staff.still_waiting", reference=case.reference, minutes=minutes)
                )
            patient = await self._patient(case)
            if patient is not None and not patient.blocked:
                await self._tell_patient(
                    patient, case, message("patient_staff.waiting", reference=case.reference)
                )
            await self.repository.mark_renotified(case.id)
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
