"""The patient left a handoff (/bot or "Back to the assistant"): staff are told in the topic.

The case is not closed: it goes back to the bot (status "bot", no holder), as when staff
hand it back, so a patient who asks for a person again is queued again on the same case
with its history, and nobody is asked to rate a conversation the patient walked out of.
"""

from __future__ import annotations

from bot.content import tool_message
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
        if was_queued:  # the case leaves the group's queue summary
            await self.refresh_summary(self.group_of(case))
