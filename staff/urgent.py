"""A red flag in a held case: staff see an urgent marker in the topic, not only a message.

The patient's guidance comes from the dialogue at once (bot/gateway.py); here the case is
made urgent, its card refreshed (🚨 URGENT at its top), and its topic renamed with 🚨 in
front (editForumTopic), so the topic stands out in the group's list. All in the live lane.
"""

from __future__ import annotations

from telegram.error import BadRequest

from bot.content import tool_message
from staff.card import topic_name
from staff.relay import Relay
from staff.sender import LIVE
from staff.topics import CaseTopics
from storage import PatientRef
from storage.staff_lanes import StaffSend
from storage.staff_tools import StaffToolsStore


def urgent_topic_name(reference_name: str) -> str:
    """The topic's name with the urgent marker in front, within Telegram's 128 characters."""
    prefix = tool_message("urgent.topic_prefix")
    if reference_name.startswith(prefix):
        return reference_name[:128]
    return (prefix + reference_name)[:128]


class UrgentMarker(CaseTopics, Relay):
    """alert_emergency, with the card and the topic's name marked urgent."""

    tools: StaffToolsStore

    async def alert_emergency(self, patient: PatientRef) -> None:
        """The holder's alert in the topic, then the urgent card and topic name."""
        await super().alert_emergency(patient)
        case = await self.repository.open_case_for(patient.id)
        if case is None or not self.topic_coming(case):
            return
        await self.tools.make_urgent(case.id)
        await self.refresh_card(case)
        await self._enqueue(
            self.group_of(case),
            LIVE,
            "rename_topic",
            {"case_id": case.id},
            case_id=case.id,
            merge_key=f"rename:{case.id}",
        )

    async def _send_rename_topic(self, entry: StaffSend) -> None:
        case = await self.repository.get_case(int(entry.payload["case_id"]))
        if case is None or case.thread_id is None:
            return
        patient = await self._patient(case)
        if patient is None:
            return
        name = urgent_topic_name(topic_name(case, patient.display_name))
        try:
            await self.bot.edit_forum_topic(
                entry.chat_id, case.thread_id, name=name, **self.paced()
            )
        except BadRequest as exc:
            if "not_modified" not in exc.message.lower().replace(" ", "_"):
                raise
