"""EmulatorClient: the emulator's control API from another process, over HTTP.

Methods mirror `emulator.control.Controls` (same names, arguments and results).
"""

from __future__ import annotations

import base64
from types import TracebackType
from typing import Any

import aiohttp

from emulator.errors import ControlError, EmulatorTimeout

# Extra time the HTTP request gets beyond a server-side wait's own timeout.
WAIT_MARGIN_SECONDS = 10.0


class EmulatorClient:
    def __init__(self, base_url: str, session: aiohttp.ClientSession | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._session = session
        self._owns_session = session is None

    async def __aenter__(self) -> EmulatorClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None and self._owns_session:
            await self._session.close()
        self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
            self._owns_session = True
        return self._session

    async def call(self, control: str, /, *, wait: float = 0.0, **kwargs: Any) -> Any:
        """Calls a control method by name; None-valued arguments are left out.
        `wait` is how long the server may legitimately take (a wait_for_* timeout)."""
        body = {key: value for key, value in kwargs.items() if value is not None}
        timeout = aiohttp.ClientTimeout(total=wait + WAIT_MARGIN_SECONDS)
        async with self._http().post(f"{self.base_url}/_emu/{control}", json=body,
                                     timeout=timeout) as response:
            answer = await response.json()
        if answer.get("ok"):
            return answer.get("result")
        if answer.get("timeout"):
            raise EmulatorTimeout(answer.get("error"))
        raise ControlError(answer.get("error"))

    # --- setting up the world ---------------------------------------------------------

    async def add_bot(self, token: str, username: str, first_name: str = "Bot") -> dict[str, Any]:
        return await self.call("add_bot", token=token, username=username, first_name=first_name)

    async def add_user(
        self,
        user_id: int,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        has_started_bot: bool = True,
    ) -> dict[str, Any]:
        return await self.call("add_user", user_id=user_id, first_name=first_name,
                               last_name=last_name, username=username,
                               language_code=language_code, has_started_bot=has_started_bot)

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
        return await self.call("create_group", title=title, chat_id=chat_id,
                               supergroup=supergroup, forum=forum, username=username,
                               members=members, bot_status=bot_status)

    async def create_channel(
        self, title: str, chat_id: int | None = None, username: str | None = None
    ) -> dict[str, Any]:
        return await self.call("create_channel", title=title, chat_id=chat_id,
                               username=username)

    async def set_member_status(
        self, chat_id: int, user_id: int, status: str, rights: dict[str, bool] | None = None
    ) -> None:
        await self.call("set_member_status", chat_id=chat_id, user_id=user_id, status=status,
                        rights=rights)

    async def set_bot_membership(
        self,
        chat_id: int,
        status: str,
        by_user_id: int | None = None,
        rights: dict[str, bool] | None = None,
        token: str | None = None,
    ) -> dict[str, Any]:
        return await self.call("set_bot_membership", chat_id=chat_id, status=status,
                               by_user_id=by_user_id, rights=rights, token=token)

    async def set_forum(self, chat_id: int, is_forum: bool = True) -> dict[str, Any]:
        return await self.call("set_forum", chat_id=chat_id, is_forum=is_forum)

    async def set_privacy_mode(
        self, enabled: bool = True, token: str | None = None
    ) -> dict[str, Any]:
        return await self.call("set_privacy_mode", enabled=enabled, token=token)

    async def set_webhook_state(
        self,
        url: str,
        last_error_message: str | None = None,
        last_error_date: int | None = None,
        token: str | None = None,
    ) -> dict[str, Any]:
        return await self.call("set_webhook_state", url=url,
                               last_error_message=last_error_message,
                               last_error_date=last_error_date, token=token)

    async def create_topic(
        self, chat_id: int, name: str, by_user_id: int, token: str | None = None
    ) -> dict[str, Any]:
        return await self.call("create_topic", chat_id=chat_id, name=name,
                               by_user_id=by_user_id, token=token)

    async def close_topic(
        self, chat_id: int, thread_id: int, by_user_id: int, token: str | None = None
    ) -> dict[str, Any]:
        return await self.call("close_topic", chat_id=chat_id, thread_id=thread_id,
                               by_user_id=by_user_id, token=token)

    async def reopen_topic(
        self, chat_id: int, thread_id: int, by_user_id: int, token: str | None = None
    ) -> dict[str, Any]:
        return await self.call("reopen_topic", chat_id=chat_id, thread_id=thread_id,
                               by_user_id=by_user_id, token=token)

    async def delete_topic(
        self, chat_id: int, thread_id: int, stale_seconds: float = 0.0, token: str | None = None
    ) -> None:
        await self.call("delete_topic", chat_id=chat_id, thread_id=thread_id,
                        stale_seconds=stale_seconds, token=token)

    async def set_bot_blocked(
        self, user_id: int, blocked: bool = True, token: str | None = None
    ) -> None:
        await self.call("set_bot_blocked", user_id=user_id, blocked=blocked, token=token)

    # --- playing users ----------------------------------------------------------------

    async def send_user_message(
        self,
        user_id: int,
        text: str | None = None,
        chat_id: int | None = None,
        thread_id: int | None = None,
        reply_to_message_id: int | None = None,
        media: str | None = None,
        content: bytes | None = None,
        file_name: str | None = None,
        mime_type: str | None = None,
        caption: str | None = None,
        location: dict[str, float] | None = None,
        contact: dict[str, Any] | None = None,
        entities: list[dict[str, Any]] | None = None,
        token: str | None = None,
    ) -> dict[str, Any]:
        encoded = base64.b64encode(content).decode("ascii") if content is not None else None
        return await self.call(
            "send_user_message", user_id=user_id, text=text, chat_id=chat_id,
            thread_id=thread_id, reply_to_message_id=reply_to_message_id, media=media,
            content_base64=encoded, file_name=file_name, mime_type=mime_type, caption=caption,
            location=location, contact=contact, entities=entities, token=token)

    async def edit_user_message(
        self,
        chat_id: int,
        message_id: int,
        text: str | None = None,
        caption: str | None = None,
        token: str | None = None,
    ) -> dict[str, Any]:
        return await self.call("edit_user_message", chat_id=chat_id, message_id=message_id,
                               text=text, caption=caption, token=token)

    async def press_button(
        self,
        chat_id: int,
        message_id: int,
        text: str | None = None,
        callback_data: str | None = None,
        user_id: int | None = None,
        token: str | None = None,
    ) -> str:
        return await self.call("press_button", chat_id=chat_id, message_id=message_id,
                               text=text, callback_data=callback_data, user_id=user_id,
                               token=token)

    async def post_channel_message(
        self, chat_id: int, text: str, token: str | None = None
    ) -> dict[str, Any]:
        return await self.call("post_channel_message", chat_id=chat_id, text=text, token=token)

    # --- reading what the bot did ---------------------------------------------------

    async def bot_messages(
        self, chat_id: int, thread_id: int | None = None, token: str | None = None
    ) -> list[dict[str, Any]]:
        return await self.call("bot_messages", chat_id=chat_id, thread_id=thread_id,
                               token=token)

    async def wait_for_bot_messages(
        self,
        chat_id: int,
        count: int,
        timeout: float = 5.0,
        thread_id: int | None = None,
        token: str | None = None,
    ) -> list[dict[str, Any]]:
        return await self.call("wait_for_bot_messages", wait=timeout, chat_id=chat_id,
                               count=count, timeout=timeout, thread_id=thread_id, token=token)

    async def chat_history(self, chat_id: int, token: str | None = None) -> list[dict[str, Any]]:
        return await self.call("chat_history", chat_id=chat_id, token=token)

    async def topics(self, chat_id: int, token: str | None = None) -> list[dict[str, Any]]:
        return await self.call("topics", chat_id=chat_id, token=token)

    async def commands(
        self,
        scope: dict[str, Any] | None = None,
        language_code: str | None = None,
        token: str | None = None,
    ) -> list[dict[str, str]]:
        return await self.call("commands", scope=scope, language_code=language_code, token=token)

    async def visible_commands(
        self,
        chat_id: int,
        user_id: int | None = None,
        language_code: str | None = None,
        token: str | None = None,
    ) -> list[dict[str, str]]:
        return await self.call("visible_commands", chat_id=chat_id, user_id=user_id,
                               language_code=language_code, token=token)

    async def callback_answers(self, token: str | None = None) -> list[dict[str, Any]]:
        return await self.call("callback_answers", token=token)

    async def wait_for_callback_answer(
        self, callback_query_id: str, timeout: float = 5.0, token: str | None = None
    ) -> dict[str, Any]:
        return await self.call("wait_for_callback_answer", wait=timeout,
                               callback_query_id=callback_query_id, timeout=timeout,
                               token=token)

    async def events(
        self,
        after: int = 0,
        timeout: float = 0.0,
        chat_id: int | None = None,
        token: str | None = None,
    ) -> list[dict[str, Any]]:
        return await self.call("events", wait=timeout, after=after, timeout=timeout,
                               chat_id=chat_id, token=token)

    async def api_calls(
        self, method: str | None = None, token: str | None = None
    ) -> list[dict[str, Any]]:
        return await self.call("api_calls", method=method, token=token)

    async def pending_updates(self, token: str | None = None) -> list[dict[str, Any]]:
        return await self.call("pending_updates", token=token)

    async def file_bytes(self, file_id: str) -> bytes:
        async with self._http().get(f"{self.base_url}/_emu/files/{file_id}") as response:
            if response.status != 200:
                raise ControlError(f"unknown file_id {file_id}")
            return await response.read()

    # --- faults, limits, reset --------------------------------------------------------

    async def fail_next(
        self,
        method: str,
        count: int = 1,
        status: int = 500,
        description: str | None = None,
        retry_after: int | None = None,
        token: str | None = None,
    ) -> None:
        await self.call("fail_next", method=method, count=count, status=status,
                        description=description, retry_after=retry_after, token=token)

    async def set_flood_limits(self, **limits: float | int | None) -> dict[str, Any]:
        """Same keywords as Controls.set_flood_limits; None (or left out) switches one off."""
        return await self.call("set_flood_limits", **limits)

    async def use_telegram_limits(self) -> dict[str, Any]:
        return await self.call("use_telegram_limits")

    async def flood_limits(self) -> dict[str, Any]:
        return await self.call("flood_limits")

    async def clear_faults(self) -> None:
        await self.call("clear_faults")

    async def reset(self) -> None:
        await self.call("reset")
