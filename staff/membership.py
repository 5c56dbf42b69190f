"""Who is staff: the allow-list, or a current member of a staff group (asked, then cached).

Staff act on their own group's cases: the handlers ask about the group the update came from.
The web console asks about any group.
"""

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
    _membership: dict[tuple[int, int], tuple[bool, float]]

    async def is_staff(self, user: User, chat_id: int | None = None) -> bool:
        """On the allow-list, or a member of that staff group (of any, when none is named)."""
        return await self.is_staff_id(user.id, chat_id=chat_id)

    async def is_staff_id(
        self, user_id: int, *, fresh: bool = False, chat_id: int | None = None
    ) -> bool:
        """As is_staff; `fresh` asks Telegram whatever the cache holds (the web console)."""
        if user_id in self.allow_list:
            return True
        groups = (chat_id,) if chat_id is not None else self.chat_ids
        for group in groups:
            if await self._member_of(group, user_id, fresh):
                return True
        return False

    async def _member_of(self, chat_id: int, user_id: int, fresh: bool) -> bool:
        cached = self._membership.get((chat_id, user_id))
        if (
            not fresh
            and cached is not None
            and time.monotonic() - cached[1] < MEMBERSHIP_CACHE_SECONDS
        ):
            return cached[0]
        try:
            # No message: PTB's group limiter must not count it against the group's budget.
            member = await self.bot.get_chat_member(chat_id, user_id, **self.paced())
            allowed = member.status in STAFF_STATUSES
        except TelegramError:
            allowed = False
        self._membership[(chat_id, user_id)] = (allowed, time.monotonic())
        return allowed
