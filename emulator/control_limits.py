"""Control API: injected faults, Telegram's sending limits, and reset."""

from __future__ import annotations

from typing import Any

from emulator.control_base import ControlBase
from emulator.faults import Fault
from emulator.limits import TELEGRAM_LIMITS, FloodLimits


class LimitControls(ControlBase):
    async def fail_next(
        self,
        method: str,
        count: int = 1,
        status: int = 500,
        description: str | None = None,
        retry_after: int | None = None,
        token: str | None = None,
    ) -> None:
        """The next `count` calls of `method` ("*" for any) answer this error instead.
        status 429 answers "Too Many Requests: retry after N" with parameters.retry_after."""
        bot_id = self.world.bot(token).id if token else None
        self.world.faults.add(bot_id, method, Fault(status, description, retry_after), count)

    async def set_flood_limits(
        self,
        overall_per_second: float | None = None,
        group_per_minute: float | None = None,
        private_per_second: float | None = None,
        overall_burst: int = TELEGRAM_LIMITS.overall_burst,
        group_burst: int = TELEGRAM_LIMITS.group_burst,
        private_burst: int = TELEGRAM_LIMITS.private_burst,
    ) -> dict[str, Any]:
        """Exactly these sending limits (a rate of None switches that one off), with full
        buckets; `set_flood_limits()` switches them all off. Returns the limits in force."""
        limits = FloodLimits(overall_per_second, overall_burst, group_per_minute, group_burst,
                             private_per_second, private_burst)
        if min(overall_burst, group_burst, private_burst) < 1:
            raise ValueError("a burst is at least 1")
        self.world.flood.configure(limits)
        return limits.to_json()

    async def use_telegram_limits(self) -> dict[str, Any]:
        """Telegram's published limits again (the default), with full buckets."""
        self.world.flood.configure(TELEGRAM_LIMITS)
        return TELEGRAM_LIMITS.to_json()

    async def flood_limits(self) -> dict[str, Any]:
        """The limits in force and how many calls each has refused (429) since the start."""
        flood = self.world.flood
        return {"limits": flood.limits.to_json(), "refused": dict(flood.refused)}

    async def clear_faults(self) -> None:
        """Drops injected faults; the sending limits stay as they are."""
        self.world.faults.clear()

    async def reset(self) -> None:
        """Forgets users, chats, messages, files, updates, faults; the limits go back to
        the emulator's own (its constructor's). Keeps bots and their settings."""
        self.world.reset()
