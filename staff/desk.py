"""The staff desk: one service the gateway and the staff handlers call, built from its parts.

Where each part lives (add new staff features beside the part they belong to):

| module | what it does |
| --- | --- |
| `staff/base.py` | shared state and helpers: staff row, holder, say in topic, tell patient |
| `staff/membership.py` | who is staff (allow-list, membership of a staff group, cached) |
| `staff/topics.py` | a topic per case and its card: announce, refresh, remove |
| `staff/relay.py` | relay both ways, patient edits, the emergency alert, who holds a case |
| `staff/actions.py` | take over, hand back, close (`Outcome`) |
| `staff/reminders.py` | the queue summary (sent, edited, paged), /queue, overdue reminders |
| `staff/card.py` | the wording of the card, topic names and the queue listing |
| `staff/summary.py` | the queue summary's pages: each waiting case with its Take over button |
| `staff/handlers.py` | the Telegram handlers of the staff groups: commands and buttons |
| `staff/sender.py`, `staff/pacing.py` | each group's paced sender, its lanes and budget |
| `staff/canned.py`, `staff/notes.py`, `staff/stats.py` | canned replies, private notes, /stats |
| `staff/recovery.py` | a new topic for a case whose topic was deleted or closed |
| `staff/urgent.py`, `staff/leaving.py` | a red flag's urgent marker; the patient's /bot |
| `staff/tool_handlers.py` | the handlers of /canned, /reply, /save, /note and /stats |
| `staff/group_replies.py` | what both handler modules share: the desk, replies, a topic's case |

Anything said in a staff group is an operation recorded in the group's lanes
(`DeskParts._enqueue`) and carried out by the group's sender through `OPERATIONS` below: a
new kind of message is a new operation with its `_send_*` method and lane.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from telegram import Bot
from telegram.error import BadRequest

from bot.config import Settings
from bot.outbox import Outbox
from staff.actions import CaseActions, Outcome
from staff.canned import CannedReplies
from staff.leaving import PatientLeaving
from staff.membership import StaffMembership
from staff.notes import StaffNotes
from staff.recovery import TopicRecovery
from staff.reminders import QueueReminders
from staff.sender import GroupSender
from staff.stats import ServiceStats
from staff.urgent import UrgentMarker
from storage import Repository
from storage.staff_lanes import StaffLaneStore, StaffSend
from storage.staff_tools import StaffToolsStore

__all__ = ["Outcome", "StaffDeskService"]


class StaffDeskService(
    UrgentMarker,
    TopicRecovery,
    PatientLeaving,
    CannedReplies,
    StaffNotes,
    ServiceStats,
    StaffMembership,
    CaseActions,
    QueueReminders,
):
    """Everything the staff side does; the handlers in staff/handlers.py only call into it."""

    def __init__(
        self,
        bot: Bot,
        repository: Repository,
        settings: Settings,
        outbox: Outbox,
        lanes: StaffLaneStore | None = None,
    ) -> None:
        assert settings.staff_chat_id is not None
        self.bot = bot
        self.repository = repository
        self.outbox = outbox
        self.lanes = lanes or StaffLaneStore(repository.database)
        self.tools = StaffToolsStore(repository.database)
        self.chat_ids = settings.staff_chat_ids or (settings.staff_chat_id,)
        self.chat_id = self.chat_ids[0]
        self.allow_list = settings.staff_user_ids
        self.renotify_seconds = settings.queue_renotify_seconds
        self._membership = {}
        self._summary_pages = {}
        self._summary_sent = {}
        self._renotifier: asyncio.Task[None] | None = None
        self._operations: dict[str, Callable[[StaffSend], Awaitable[None]]] = {
            "announce": self._send_announcement,
            "card": self._send_card,
            "say": self._send_say,
            "copy": self._send_copy,
            "close_topic": self._send_close_topic,
            "delete_topic": self._send_delete_topic,
            "queue_summary": self._send_queue_summary,
            "rename_topic": self._send_rename_topic,
        }
        self.senders = {
            chat_id: GroupSender(chat_id, self.lanes, self._perform, self._cost)
            for chat_id in self.chat_ids
        }

    def is_staff_group(self, chat_id: int) -> bool:
        return chat_id in self.chat_ids

    async def _perform(self, entry: StaffSend) -> None:
        operation = self._operations.get(entry.op)
        if operation is None:
            raise ValueError(f"unknown staff group operation {entry.op!r}")
        try:
            await operation(entry)
        except BadRequest as exc:
            # The case's topic was deleted or closed: a new one, then the same send there.
            if not await self.recover_topic(entry, exc):
                raise
            await operation(entry)

    async def _cost(self, entry: StaffSend) -> int:
        """How many of the group's tokens the operation spends (one per message it puts there)."""
        if entry.op == "announce":
            return await self._announcement_cost(entry)
        if entry.op == "card":
            return await self._card_cost(entry)
        return 0 if entry.op == "delete_topic" else 1
