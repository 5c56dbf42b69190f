"""PTB over aiohttp (`bot/transport.py`): the bot's Bot API calls, timeouts and errors."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import BadRequest, NetworkError, TimedOut

from bot.transport import AiohttpRequest
from emulator import BotApiEmulator

PATIENT_ID = 700_002
TOKEN = "123456:SECRET-token-never-in-errors"


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator() as running:
        await running.add_user(PATIENT_ID, first_name="Asha")
        yield running


def _bot(base_url: str, token: str, **timeouts: float) -> Bot:
    return Bot(
        token,
        base_url=base_url,
        request=AiohttpRequest(**timeouts),
        get_updates_request=AiohttpRequest(connection_pool_size=1),
    )


async def test_messages_keyboards_and_documents_go_through(emulator: BotApiEmulator) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("I agree", callback_data="agree")]])
    pdf = b"%PDF-1.4 consent receipt \x00\xff"
    async with _bot(emulator.bot_base_url, emulator.token) as bot:
        await emulator.send_user_message(PATIENT_ID, text="hello")
        [update] = await bot.get_updates(timeout=1)
        assert update.message.text == "hello"

        sent = await bot.send_message(PATIENT_ID, "<b>Clause 1</b>", "HTML", reply_markup=keyboard)
        document = await bot.send_document(
            PATIENT_ID, InputFile(pdf, filename="receipt.pdf"), caption="Your receipt"
        )

    text, receipt = await emulator.bot_messages(PATIENT_ID)
    assert text["message_id"] == sent.message_id and sent.text == "Clause 1"
    assert sent.reply_markup == keyboard
    assert receipt["file_name"] == "receipt.pdf" and receipt["caption"] == "Your receipt"
    assert await emulator.file_bytes(document.document.file_id) == pdf


async def test_the_bot_apis_refusal_is_telegrams_error(emulator: BotApiEmulator) -> None:
    async with _bot(emulator.bot_base_url, emulator.token) as bot:
        with pytest.raises(BadRequest, match=r"(?i)chat not found"):
            await bot.send_message(999_999_999, "nobody is there")


async def test_a_bot_api_that_does_not_answer_in_time_is_a_timeout() -> None:
    async def slow(_request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", slow)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    request = AiohttpRequest(read_timeout=0.3)
    await request.initialize()
    try:
        with pytest.raises(TimedOut):
            await asyncio.wait_for(request.post(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe"), 4)
        await request.shutdown()
    finally:
        await runner.cleanup()


async def test_an_unreachable_bot_api_is_a_network_error_that_does_not_quote_the_token() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    request = AiohttpRequest(connect_timeout=1)
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as raised:
            await request.post(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe")
    finally:
        await request.shutdown()
    assert TOKEN not in str(raised.value) and "SECRET" not in repr(raised.value)


async def test_a_request_object_must_be_initialized_and_can_be_reused() -> None:
    request = AiohttpRequest()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:9/", "POST")
    await request.initialize()
    await request.shutdown()
    await request.initialize()
    await request.shutdown()
