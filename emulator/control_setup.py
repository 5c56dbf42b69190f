"""Control API: setting up the world (users, groups, members) and staff acting on topics."""

from __future__ import annotations

from typing import Any

from emulator import topics
from emulator.control_base import ControlBase
from emulator.errors import ApiError, ControlError
from emulator.members import ADMIN_RIGHTS, RESTRICTED_RIGHTS, has_right
from emulator.models import BotAccount, ChatInfo, ForumTopic, Webhook
from emulator.world import unix_now


class SetupControls(ControlBase):
    async def add_user(
        self,
        user_id: int,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        has_started_bot: bool = True,
    ) -> dict[str, Any]:
        """Creates or replaces a user; returns the Telegram User object."""
        return self.world.add_user(user_id, first_name, last_name, username, language_code,
                                   has_started_bot)

    async def create_group(
        self,
        title: str,
        chat_id: int | None = None,
        supergroup: bool = True,
        forum: bool = False,
        username: str | None = None,
        members: dict[int, str] | None = None,
        bot_status: str = "administrator",
    ) -> dict[str, Any]:
        """A group (a -100… supergroup by default, a forum if asked); returns the Chat."""
        if forum and not supergroup:
            raise ControlError("only supergroups can be forums")
        chat_type = "supergroup" if supergroup else "group"
        chat = self.world.add_chat(chat_id or self.world.next_group_id(supergroup), chat_type,
                                   title, username, forum)
        for bot in self.world.bots.values():
            chat.members[bot.id] = self._status(bot_status)
        for user_id, status in (members or {}).items():
            self.world.user(int(user_id))
            chat.members[int(user_id)] = self._status(status)
        return chat.to_json()

    async def create_channel(
        self, title: str, chat_id: int | None = None, username: str | None = None
    ) -> dict[str, Any]:
        chat = self.world.add_chat(chat_id or self.world.next_group_id(True), "channel", title,
                                   username)
        return chat.to_json()

    async def set_member_status(
        self, chat_id: int, user_id: int, status: str, rights: dict[str, bool] | None = None
    ) -> None:
        """What getChatMember answers for this user (or bot) in this group. `rights`
        overrides the status's defaults, e.g. {"can_manage_topics": False} for an admin."""
        chat = self.world.control_chat(chat_id)
        if chat.type == "private":
            raise ControlError("membership applies to groups and channels")
        if not any(bot.id == user_id for bot in self.world.bots.values()):
            self.world.user(user_id)
        chat.members[user_id] = self._status(status)
        self._set_rights(chat, user_id, rights)

    async def set_bot_membership(
        self,
        chat_id: int,
        status: str,
        by_user_id: int | None = None,
        rights: dict[str, bool] | None = None,
        token: str | None = None,
    ) -> dict[str, Any]:
        """Changes the bot's status (and rights) in a group, e.g. added to it or demoted:
        a my_chat_member update."""
        bot = self.world.bot(token)
        chat = self.world.control_chat(chat_id)
        if chat.type == "private":
            raise ControlError("use set_bot_blocked for private chats")
        old = chat.members.get(bot.id, "left")
        chat.members[bot.id] = self._status(status)
        self._set_rights(chat, bot.id, rights)
        actor = self.world.user(by_user_id) if by_user_id else None
        return self._my_chat_member(bot, chat, old, status, actor)

    # --- the wrong set-ups a real staff group often has (see bot/check.py) --------------

    async def set_forum(self, chat_id: int, is_forum: bool = True) -> dict[str, Any]:
        """Topics on or off in a supergroup (the group's Edit -> Topics); returns the Chat."""
        chat = self.world.control_chat(chat_id)
        if is_forum and chat.type != "supergroup":
            raise ControlError("only supergroups can be forums")
        chat.is_forum = is_forum
        return chat.to_json()

    async def set_privacy_mode(
        self, enabled: bool = True, token: str | None = None
    ) -> dict[str, Any]:
        """@BotFather's Group Privacy for the bot: getMe's can_read_all_group_messages is
        its opposite. Returns the bot's User."""
        bot = self.world.bot(token)
        bot.user["can_read_all_group_messages"] = not enabled
        return dict(bot.user)

    async def set_webhook_state(
        self,
        url: str,
        last_error_message: str | None = None,
        last_error_date: int | None = None,
        token: str | None = None,
    ) -> dict[str, Any]:
        """A webhook this bot did not set (another deployment's, left over), with the last
        delivery error Telegram reports for it; url "" removes it. Returns getWebhookInfo."""
        bot = self.world.bot(token)
        if not url:
            bot.webhook = None
        else:
            bot.webhook = Webhook(url=url, secret_token=None)
            if last_error_message is not None:
                bot.webhook.last_error_message = last_error_message
                bot.webhook.last_error_date = last_error_date or unix_now()
        self.world.changes.notify()
        info: dict[str, Any] = {"url": url, "pending_update_count": len(bot.updates)}
        if bot.webhook is not None and bot.webhook.last_error_date is not None:
            info["last_error_date"] = bot.webhook.last_error_date
            info["last_error_message"] = bot.webhook.last_error_message
        return info

    async def set_bot_blocked(
        self, user_id: int, blocked: bool = True, token: str | None = None
    ) -> None:
        """The user blocks (or unblocks) the bot: sends then get 403, a my_chat_member update."""
        bot = self.world.bot(token)
        user = self.world.user(user_id)
        if (user_id in bot.blocked_by) == blocked:
            return
        if blocked:
            bot.blocked_by.add(user_id)
        else:
            bot.blocked_by.discard(user_id)
        old, new = ("member", "kicked") if blocked else ("kicked", "member")
        self._my_chat_member(bot, self.world.chats[user_id], old, new, user)


    # --- staff acting on forum topics -------------------------------------------------

    async def create_topic(
        self, chat_id: int, name: str, by_user_id: int, token: str | None = None
    ) -> dict[str, Any]:
        """A staff member opens a topic (the bot did not create it): its forum_topic_created
        message reaches the bot as an update. Returns the ForumTopic."""
        bot = self.world.bot(token)
        chat = self.world.control_chat(chat_id)
        if not chat.is_forum:
            raise ControlError(f"chat {chat_id} is not a forum")
        if not has_right(chat, by_user_id, "can_manage_topics"):
            raise ControlError(f"user {by_user_id} may not create topics here")
        user = self.world.user(by_user_id)
        topic, message = topics.create(self.world, bot, chat, name, by_user_id, user)
        self.world.push_update(bot, "message", message.to_json())
        return {"message_thread_id": topic.thread_id, "name": topic.name,
                "icon_color": topic.icon_color}

    async def close_topic(
        self, chat_id: int, thread_id: int, by_user_id: int, token: str | None = None
    ) -> dict[str, Any]:
        """A staff member closes a topic: the forum_topic_closed service message, which
        reaches the bot as a message update as in Telegram. Returns that Message."""
        return self._toggle_topic(chat_id, thread_id, by_user_id, True, token)

    async def reopen_topic(
        self, chat_id: int, thread_id: int, by_user_id: int, token: str | None = None
    ) -> dict[str, Any]:
        """A staff member reopens a topic: a forum_topic_reopened message update."""
        return self._toggle_topic(chat_id, thread_id, by_user_id, False, token)

    async def delete_topic(
        self, chat_id: int, thread_id: int, stale_seconds: float = 0.0, token: str | None = None
    ) -> None:
        """A staff member deletes a topic with its messages. The bot is not told (Telegram
        sends no update); its next send there answers 400 "message thread not found", or
        "TOPIC_DELETED" for the first `stale_seconds` (the Bot API server's cache)."""
        bot = self.world.bot(token)
        chat, topic = self._control_topic(bot, chat_id, thread_id)
        topics.delete(self.world, bot, chat, topic, stale_seconds)

    def _toggle_topic(self, chat_id: int, thread_id: int, by_user_id: int, closed: bool,
                      token: str | None) -> dict[str, Any]:
        bot = self.world.bot(token)
        chat, topic = self._control_topic(bot, chat_id, thread_id)
        user = self.world.user(by_user_id)
        if not (has_right(chat, by_user_id, "can_manage_topics") or topic.creator_id == by_user_id):
            raise ControlError(f"user {by_user_id} may not close or reopen topics here")
        try:
            message = topics.set_closed(self.world, bot, chat, topic, closed, user)
        except ApiError as exc:
            raise ControlError(exc.description) from None
        self.world.push_update(bot, "message", message.to_json())
        return message.to_json()

    def _control_topic(self, bot: BotAccount, chat_id: int,
                       thread_id: int) -> tuple[ChatInfo, ForumTopic]:
        chat = self.world.control_chat(chat_id)
        topic = bot.chat_log(chat.id).topics.get(thread_id)
        if topic is None:
            raise ControlError(f"no topic {thread_id} in chat {chat_id}")
        return chat, topic

    @staticmethod
    def _set_rights(chat: ChatInfo, member_id: int, rights: dict[str, bool] | None) -> None:
        if rights is None:  # a new status comes with its own defaults
            chat.rights.pop(member_id, None)
            return
        unknown = set(rights) - set(ADMIN_RIGHTS) - set(RESTRICTED_RIGHTS)
        if unknown:
            raise ControlError(f"unknown rights {sorted(unknown)}")
        chat.rights[member_id] = {k: bool(v) for k, v in rights.items()}
