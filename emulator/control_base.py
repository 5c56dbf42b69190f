"""What the control API's parts share: the world, member statuses, my_chat_member updates."""

from __future__ import annotations

from typing import Any

from emulator.errors import ControlError
from emulator.members import chat_member_json
from emulator.models import BotAccount, ChatInfo
from emulator.world import World, unix_now

MEMBER_STATUSES = frozenset({"creator", "administrator", "member", "restricted", "left", "kicked"})


class ControlBase:
    """`token=None` everywhere means the first (usual) bot."""

    world: World

    @staticmethod
    def _status(status: str) -> str:
        if status not in MEMBER_STATUSES:
            raise ControlError(f"unknown member status {status!r}")
        return status

    def _my_chat_member(self, bot: BotAccount, chat: ChatInfo, old: str, new: str,
                        actor: dict[str, Any] | None) -> dict[str, Any]:
        return self.world.push_update(bot, "my_chat_member", {
            "chat": chat.to_json(),
            "from": actor or self._actor(chat),
            "date": unix_now(),
            "old_chat_member": chat_member_json(old, bot.user, chat.rights.get(bot.id)),
            "new_chat_member": chat_member_json(new, bot.user, chat.rights.get(bot.id)),
        })


    def _actor(self, chat: ChatInfo) -> dict[str, Any]:
        """Who changed the bot's membership when the caller did not say: the private chat's
        user, or the group's creator (else an administrator)."""
        if chat.type == "private":
            return self.world.user(chat.id)
        bot_ids = {bot.id for bot in self.world.bots.values()}
        for wanted in ("creator", "administrator"):
            for user_id, status in chat.members.items():
                if status == wanted and user_id not in bot_ids:
                    return self.world.user(user_id)
        raise ControlError("by_user_id is needed: the group has no creator or administrator")
