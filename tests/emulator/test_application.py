"""A full PTB Application polling the emulator: injected messages reach handlers, replies return."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from emulator import BotApiEmulator
from tests.emulator.conftest import PATIENT_ID


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Agree", callback_data="agree")]])
    await update.effective_message.reply_text("Welcome", reply_markup=keyboard)


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_text(
        f"You said: {update.effective_message.text}", do_quote=True
    )


async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.callback_query.answer()
    await update.callback_query.edit_message_reply_markup(None)


@pytest.fixture
async def application(emulator: BotApiEmulator) -> AsyncIterator[Application]:
    app = (
        Application.builder()
        .token(emulator.token)
        .base_url(emulator.bot_base_url)
        .base_file_url(emulator.file_base_url)
        .build()
    )
    app.add_handler(CommandHandler("start", on_start))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))
    app.add_handler(CallbackQueryHandler(on_press))
    await app.initialize()
    await app.start()
    await app.updater.start_polling(poll_interval=0, timeout=1)
    yield app
    await app.updater.stop()
    await app.stop()
    await app.shutdown()


async def test_application_handles_injected_messages(
    application: Application, emulator: BotApiEmulator
) -> None:
    await emulator.send_user_message(PATIENT_ID, "/start")
    [welcome] = await emulator.wait_for_bot_messages(PATIENT_ID, 1, timeout=5)
    assert welcome["text"] == "Welcome"
    assert welcome["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "agree"

    incoming = await emulator.send_user_message(PATIENT_ID, "knee replacement")
    records = await emulator.wait_for_bot_messages(PATIENT_ID, 2, timeout=5)
    assert records[1]["text"] == "You said: knee replacement"
    assert records[1]["reply_to_message_id"] == incoming["message_id"]

    query_id = await emulator.press_button(PATIENT_ID, welcome["message_id"], text="Agree")
    assert (await emulator.wait_for_callback_answer(query_id, timeout=5))["answered"]
    edits = await emulator.events(chat_id=PATIENT_ID, timeout=5)
    while not any(e["type"] == "edited" for e in edits):
        edits = await emulator.events(after=edits[-1]["seq"], chat_id=PATIENT_ID, timeout=5)
    [first] = (await emulator.bot_messages(PATIENT_ID))[:1]
    assert first["reply_markup"] is None


async def test_many_patients_concurrently(emulator: BotApiEmulator) -> None:
    """Hundreds of simulated patients at once: every one gets its own reply, in its chat."""
    # What this measures is the emulator under concurrency; 200 replies at once are past
    # Telegram's 30 a second, which tests/emulator/test_limits.py covers.
    await emulator.set_flood_limits()
    app = (
        Application.builder()
        .token(emulator.token)
        .base_url(emulator.bot_base_url)
        .base_file_url(emulator.file_base_url)
        .concurrent_updates(True)
        # httpx's pool bookkeeping grows with its size; a small pool is faster here.
        .connection_pool_size(16)
        .pool_timeout(30)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))
    patients = range(900_000, 900_200)
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        await asyncio.gather(*(emulator.send_user_message(p, f"hi {p}") for p in patients))
        replies = await asyncio.gather(
            *(emulator.wait_for_bot_messages(p, 1, timeout=20) for p in patients)
        )
        await app.updater.stop()
        await app.stop()
    assert [r[0]["text"] for r in replies] == [f"You said: hi {p}" for p in patients]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_application_in_webhook_mode(emulator: BotApiEmulator) -> None:
    """PTB's own webhook server accepts the emulator's deliveries (secret header included)."""
    app = (
        Application.builder()
        .token(emulator.token)
        .base_url(emulator.bot_base_url)
        .base_file_url(emulator.file_base_url)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))
    port = _free_port()
    async with app:
        await app.start()
        await app.updater.start_webhook(
            listen="127.0.0.1", port=port, url_path="hook", secret_token="webhook-secret",
            webhook_url=f"http://127.0.0.1:{port}/hook")
        await emulator.send_user_message(PATIENT_ID, "via webhook")
        [reply] = await emulator.wait_for_bot_messages(PATIENT_ID, 1, timeout=5)
        await app.updater.stop()
        await app.stop()
    assert reply["text"] == "You said: via webhook"
    [set_call] = await emulator.api_calls("setWebhook")
    assert set_call["params"]["secret_token"] == "webhook-secret"
