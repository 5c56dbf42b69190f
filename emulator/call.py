"""What a Bot API method handler receives."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from emulator.models import BotAccount
from emulator.params import Params
from emulator.world import World


@dataclass(frozen=True)
class Call:
    world: World
    bot: BotAccount
    params: Params

    @property
    def bot_sender(self) -> dict[str, Any]:
        """The bot as Telegram shows it in `from` of its messages."""
        user = self.bot.user
        return {key: user[key] for key in ("id", "is_bot", "first_name", "username")}


Handler = Callable[[Call], Awaitable[Any]]
