"""Who is staff: the allow-list, or a current member of a staff group (asked, then cached).

Staff act on their own group's cases: the handlers ask about the group the update came from.
The web console asks about any group, afresh, and must tell "not staff" from "Telegram could
not be asked": a network failure, a timeout or a flood wait is not a reason to sign anyone out.
"""

from __future__ import annotations

import logging
import time

from telegram import User
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError

from staff.base import DeskParts

log = logging.getLogger(__name__)

STAFF_STATUSES = ("creator", "administrator", "member")
MEMBERSHIP_CACHE_SECONDS = 60.0


class MembershipUnavailable(Exception):
    """No staff group said yes, and at least one could not be asked (network, timeout, 429)."""


def is_transient(error: TelegramError) -> bool:
    """A failure to ask, not an answer: BadRequest ("user not found"...) is a NetworkError too."""
    return isinstance(error, (NetworkError, RetryAfter)) and not isinstance(error, BadRequest)


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
        """As is_staff; `fresh` asks Telegram whatever the cache holds (the web console).

        With `fresh`, raises MembershipUnavailable when no group said yes and one could not
        be asked; without it, such a group counts as a no (not cached: asked again next time).
        """
        if user_id in self.allow_list:
            return True
        groups = (chat_id,) if chat_id is not None else self.chat_ids
        unavailable: MembershipUnavailable | None = None
        for group in groups:
            try:
                if await self._member_of(group, user_id, fresh):
                    return True
            except MembershipUnavailable as error:
                unavailable = error
        if unavailable is not None and fresh:
            raise unavailable
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
        except TelegramError as error:
            if is_transient(error):
                log.warning(
                    "staff membership not known: Telegram could not be asked",
                    extra={"error_type": type(error).__name__},
                )
                raise MembershipUnavailable(type(error).__name__) from error
            allowed = False  # the user or the chat is not there: not staff
        self._membership[(chat_id, user_id)] = (allowed, time.monotonic())
        return allowed
