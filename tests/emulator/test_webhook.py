"""Webhook delivery: secret header, retries, and getUpdates refused meanwhile."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from telegram import Bot
from telegram.error import BadRequest, Conflict

from emulator import BotApiEmulator
from tests.emulator.conftest import PATIENT_ID


class Receiver:
    """A webhook endpoint that fails its first `failures` deliveries."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.attempts = 0
        self.received: list[tuple[dict[str, Any], str | None]] = []
        self.arrived = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        self.attempts += 1
        if self.attempts <= self.failures:
            return web.Response(status=500)
        secret = request.headers.get("X-Telegram-Bot-Api-Secret-Token")
        self.received.append((await request.json(), secret))
        self.arrived.set()
        return web.Response(text="ok")


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    endpoint = Receiver(failures=1)
    app = web.Application()
    app.router.add_post("/hook", endpoint.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield endpoint, f"http://127.0.0.1:{port}/hook"
    await runner.cleanup()


async def test_webhook_delivers_with_secret_and_retries(
    bot: Bot, emulator: BotApiEmulator, patient: dict, receiver: tuple[Receiver, str]
) -> None:
    endpoint, url = receiver
    assert await bot.set_webhook(url, secret_token="s3cret-Token_1")
    info = await bot.get_webhook_info()
    assert info.url == url

    sent = await emulator.send_user_message(PATIENT_ID, "hello over webhook")
    await asyncio.wait_for(endpoint.arrived.wait(), 3)
    [(update, secret)] = endpoint.received
    assert secret == "s3cret-Token_1"
    assert update["message"]["message_id"] == sent["message_id"]
    assert update["message"]["text"] == "hello over webhook"
    assert endpoint.attempts == 2  # the first delivery failed with 500 and was retried

    info = await bot.get_webhook_info()
    assert info.pending_update_count == 0
    assert "500" in (info.last_error_message or "")
    with pytest.raises(Conflict, match=r"(?i)webhook is active"):
        await bot.get_updates()

    assert await bot.delete_webhook()
    await emulator.send_user_message(PATIENT_ID, "back to polling")
    assert [u.message.text for u in await bot.get_updates()] == ["back to polling"]


async def test_webhook_rejects_bad_secret(bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)unallowed characters"):
        await bot.set_webhook("http://127.0.0.1:1/hook", secret_token="no spaces allowed")
