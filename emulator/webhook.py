"""Delivers a bot's updates to its webhook, in order, retrying until the receiver accepts."""

from __future__ import annotations

import asyncio
import logging

import aiohttp

from emulator.models import BotAccount
from emulator.world import World, unix_now

LOGGER = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookDelivery:
    """One task per bot; idle while the bot has no webhook or nothing pending."""

    def __init__(
        self,
        world: World,
        session: aiohttp.ClientSession,
        retry_delay: float = 0.1,
        max_retry_delay: float = 5.0,
        request_timeout: float = 10.0,
    ) -> None:
        self._world = world
        self._session = session
        self._retry_delay = retry_delay
        self._max_retry_delay = max_retry_delay
        self._timeout = aiohttp.ClientTimeout(total=request_timeout)
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def watch(self, bot: BotAccount) -> None:
        if bot.token not in self._tasks:
            self._tasks[bot.token] = asyncio.create_task(self._deliver_forever(bot))

    async def close(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        self._tasks.clear()

    async def _deliver_forever(self, bot: BotAccount) -> None:
        failures = 0
        while True:
            await self._world.changes.wait_until(
                lambda: bot.webhook is not None and len(bot.updates) > 0, timeout=60.0)
            hook, update = bot.webhook, bot.updates.first()
            if hook is None or update is None:
                continue
            error = await self._post(hook.url, hook.secret_token, update)
            if error is None:
                failures = 0
                bot.updates.drop_first(update["update_id"])
                continue
            failures += 1
            hook.last_error_date = unix_now()
            hook.last_error_message = error
            LOGGER.info("webhook delivery failed (%s), retry %d", error, failures)
            delay = min(self._retry_delay * 2 ** (failures - 1), self._max_retry_delay)
            await asyncio.sleep(delay)

    async def _post(self, url: str, secret: str | None, update: dict[str, object]) -> str | None:
        """None when the receiver accepted the update, else Telegram-style error text."""
        headers = {SECRET_HEADER: secret} if secret else {}
        try:
            async with self._session.post(url, json=update, headers=headers,
                                          timeout=self._timeout) as response:
                await response.read()
                if 200 <= response.status < 300:
                    return None
                return f"Wrong response from the webhook: {response.status} {response.reason}"
        except asyncio.TimeoutError:
            return "Read timeout expired"
        except aiohttp.ClientError as exc:
            return f"Connection failed: {type(exc).__name__}"
