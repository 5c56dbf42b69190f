"""The staff desk: one service the gateway and the staff handlers call, built from its parts.

Where each part lives (add new staff features beside the part they belong to):

| module | what it does |
| --- | --- |
| `staff/base.py` | shared state and helpers: staff row, holder, say in topic, tell patient |
| `staff/membership.py` | who is staff (allow-list, group membership, cached) |
| `staff/topics.py` | a topic per case and its card: announce, refresh, remove |
| `staff/relay.py` | relay both ways, patient edits, the emergency alert, who holds a case |
| `staff/actions.py` | take over, hand back, close (`Outcome`) |
| `staff/reminders.py` | /queue's listing and reminders of overdue cases |
| `staff/card.py` | the wording of the card, topic names and the queue listing |
| `staff/handlers.py` | the Telegram handlers of the staff group: commands and buttons |
"""

from __future__ import annotations

import asyncio

from telegram import Bot

from bot.config import Settings
from bot.outbox import Outbox
from staff.actions import CaseActions, Outcome
from staff.membership import StaffMembership
from staff.reminders import QueueReminders
from storage import Repository

__all__ = ["Outcome", "StaffDeskService"]


class StaffDeskService(StaffMembership, CaseActions, QueueReminders):
    """Everything the staff side does; the handlers in staff/handlers.py only call into it."""

    def __init__(
        self, bot: Bot, repository: Repository, settings: Settings, outbox: Outbox
    ) -> None:
        assert settings.staff_chat_id is not None
        self.bot = bot
        self.repository = repository
        self.outbox = outbox
        self.chat_id = settings.staff_chat_id
        self.allow_list = settings.staff_user_ids
        self.renotify_seconds = settings.queue_renotify_seconds
        self._membership: dict[int, tuple[bool, float]] = {}
        self._renotifier: asyncio.Task[None] | None = None
