"""Who is staff: the allow-list, or a current member of the staff group (asked, then cached)."""

from __future__ import annotations

import time

from telegram import User
from telegram.error import TelegramError

from staff.base import DeskParts

STAFF_STATUSES = ("creator", "administrator", "member")
MEMBERSHIP_CACHE_SECONDS = 60.0


class StaffMembership(DeskParts):
    """is_staff for the handlers, is_staff_id(fresh=True) for the web console."""

    allow_list: frozenset[int]
    _membership: dict[int, tuple[bool, float]]

    async def is_staff(self, user: User) -> bool:
        """On the allow-list, or a current member of the staff group (asked, then cached)."""
        return await self.is_staff_id(user.id)

    async def is_staff_id(self, user_id: int, *, fresh: bool = False) -> bool:
        """As is_staff; `fresh` asks Telegram whatever the cache holds (the web console)."""
        if user_id in self.allow_list:
            return True
        cached = self._membership.get(user_id)
        if (
            not fresh
            and cached is not None
            and time.monotonic() - cached[1] < MEMBERSHIP_CACHE_SECONDS
        ):
            return cached[0]
        try:
            member = await self.bot.get_chat_member(self.chat_id, user_id)
            allowed = member.status in STAFF_STATUSES
        except TelegramError:
            allowed = False
        self._membership[user_id] = (allowed, time.monotonic())
        return allowed
