"""Control API: reading what the bot did (messages, topics, callbacks, events, calls)."""

from __future__ import annotations

from typing import Any

from emulator.api_commands import scope_key, visible_commands
from emulator.control_base import ControlBase
from emulator.errors import ApiError, ControlError, EmulatorTimeout
from emulator.models import BotAccount


class ReadingControls(ControlBase):
    async def bot_messages(
        self, chat_id: int, thread_id: int | None = None, token: str | None = None
    ) -> list[dict[str, Any]]:
        """Messages the bot sent to a chat (and thread), oldest first, in their current state
        (edits applied, `deleted` flagged). See README for the record's fields."""
        return self._bot_records(self.world.bot(token), chat_id, thread_id)

    async def wait_for_bot_messages(
        self,
        chat_id: int,
        count: int,
        timeout: float = 5.0,
        thread_id: int | None = None,
        token: str | None = None,
    ) -> list[dict[str, Any]]:
        """Waits until the bot has sent at least `count` messages there (in total); returns
        them all. Raises EmulatorTimeout (a TimeoutError) listing what did arrive."""
        bot = self.world.bot(token)
        arrived = await self.world.changes.wait_until(
            lambda: self._bot_message_count(bot, chat_id, thread_id) >= count, timeout)
        records = self._bot_records(bot, chat_id, thread_id)
        if not arrived:
            place = f"chat {chat_id}" + (f" thread {thread_id}" if thread_id is not None else "")
            seen = "; ".join(
                f"#{r['message_id']} {r['kind']}: {(r['text'] or r['caption'] or '')[:80]!r}"
                for r in records) or "nothing"
            raise EmulatorTimeout(
                f"bot sent {len(records)} of {count} expected messages to {place} within "
                f"{timeout}s; received: {seen}")
        return records

    async def chat_history(self, chat_id: int, token: str | None = None) -> list[dict[str, Any]]:
        """Every message in the chat, users' and bot's, as Telegram Message objects."""
        log = self.world.bot(token).chat_logs.get(chat_id)
        return [m.to_json() for m in log.messages.values() if not m.deleted] if log else []

    async def topics(self, chat_id: int, token: str | None = None) -> list[dict[str, Any]]:
        """Forum topics in a chat that are not deleted."""
        log = self.world.bot(token).chat_logs.get(chat_id)
        return [
            {"message_thread_id": t.thread_id, "name": t.name, "icon_color": t.icon_color,
             "closed": t.closed}
            for t in (log.topics.values() if log else [])
        ]

    async def commands(
        self,
        scope: dict[str, Any] | None = None,
        language_code: str | None = None,
        token: str | None = None,
    ) -> list[dict[str, str]]:
        """The command list the bot set for this scope and language (getMyCommands)."""
        try:
            key = scope_key(self.world, scope, language_code)
        except ApiError as exc:
            raise ControlError(exc.description) from None
        return self.world.bot(token).commands.get(key, [])

    async def visible_commands(
        self,
        chat_id: int,
        user_id: int | None = None,
        language_code: str | None = None,
        token: str | None = None,
    ) -> list[dict[str, str]]:
        """The menu this user sees in this chat: the first list set, in Telegram's order
        (chat_member, chat_administrators, chat, all_*, default; language first)."""
        bot = self.world.bot(token)
        return visible_commands(self.world, bot, chat_id, user_id, language_code)

    async def callback_answers(self, token: str | None = None) -> list[dict[str, Any]]:
        """Every pressed button's callback query with its answer (answered False if none)."""
        return [r.to_record() for r in self.world.bot(token).callback_queries.values()]

    async def wait_for_callback_answer(
        self, callback_query_id: str, timeout: float = 5.0, token: str | None = None
    ) -> dict[str, Any]:
        bot = self.world.bot(token)
        record = bot.callback_queries.get(callback_query_id)
        if record is None:
            raise ControlError(f"unknown callback query {callback_query_id}")
        if not await self.world.changes.wait_until(lambda: record.answered, timeout):
            raise EmulatorTimeout(
                f"callback query {callback_query_id} was not answered within {timeout}s")
        return record.to_record()

    async def events(
        self,
        after: int = 0,
        timeout: float = 0.0,
        chat_id: int | None = None,
        token: str | None = None,
    ) -> list[dict[str, Any]]:
        """The bot's actions after sequence number `after` (sent/edited/deleted/chat_action/
        callback_answered/topic_created), waiting up to `timeout` for at least one."""
        bot_id = self.world.bot(token).id

        def matching() -> list[dict[str, Any]]:
            newer: list[dict[str, Any]] = []
            # The journal is ordered by seq: read back from the end only as far as needed.
            for event in reversed(self.world.journal):
                if event["seq"] <= after:
                    break
                same_chat = chat_id is None or event.get("chat_id") == chat_id
                if event["bot_id"] == bot_id and same_chat:
                    newer.append(event)
            newer.reverse()
            return newer

        await self.world.changes.wait_until(lambda: bool(matching()), timeout)
        return matching()

    async def api_calls(
        self, method: str | None = None, token: str | None = None
    ) -> list[dict[str, Any]]:
        """Bot API calls received (method, params without file bytes, HTTP status)."""
        calls = self.world.bot(token).calls
        wanted = method.lower() if method else None
        return [c for c in calls if wanted is None or c["method"].lower() == wanted]

    async def pending_updates(self, token: str | None = None) -> list[dict[str, Any]]:
        return self.world.bot(token).updates.pending()

    async def file_bytes(self, file_id: str) -> bytes:
        """The content of a file the bot uploaded (or a user sent)."""
        stored = self.world.files.get(file_id)
        if stored is None:
            raise ControlError(f"unknown file_id {file_id}")
        return stored.content

    @staticmethod
    def _bot_message_count(bot: BotAccount, chat_id: int, thread_id: int | None) -> int:
        log = bot.chat_logs.get(chat_id)
        if log is None:
            return 0
        if thread_id is None:
            return len(log.bot_message_ids)
        return sum(1 for i in log.bot_message_ids if log.messages[i].thread_id == thread_id)

    def _bot_records(self, bot: BotAccount, chat_id: int,
                     thread_id: int | None) -> list[dict[str, Any]]:
        log = bot.chat_logs.get(chat_id)
        if log is None:
            return []
        messages = (log.messages[i] for i in log.bot_message_ids)
        return [m.to_record() for m in messages if thread_id is None or m.thread_id == thread_id]

