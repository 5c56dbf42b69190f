"""The patient left a handoff (/bot or "Back to the assistant"): staff are told in the topic.

The case is not closed: it goes back to the bot (status "bot", no holder), as when staff
hand it back, so a patient who asks for a person again is queued again on the same case
with its history, and nobody is asked to rate a conversation the patient walked out of.
"""

from __future__ import annotations

from bot.content import tool_message
from staff.sender import BULK
from staff.topics import CaseTopics
from storage import CaseRef


class PatientLeaving(CaseTopics):
    """What the staff group sees when the patient returns to the assistant."""

    async def patient_left(self, case: CaseRef, was_queued: bool) -> None:
        """A notice in the case's topic, its card refreshed, the queue summary updated."""
        if case.thread_id is not None:
            await self._say_in_topic(
                case, tool_message("leave.staff_told", reference=case.reference)
            )
        await self.refresh_card(case)
        group = self.group_of(case)
        # The group's summary, edited in place, if it has one: none is posted for this.
        if was_queued and await self.lanes.queue_message(group) is not None:
            await self._enqueue(group, BULK, "queue_summary", {}, merge_key="queue")
