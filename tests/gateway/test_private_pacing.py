"""Each private chat is paced by the bot's rate limiter: a burst never meets Telegram's 429."""

from __future__ import annotations

import asyncio
import time

from telegram.ext import AIORateLimiter, ExtBot

from bot.ratelimit import PRIVATE_BURST, PRIVATE_PERIOD, MeasuredRateLimiter, counts_as_sending
from emulator.server import BotApiEmulator

PATIENT = 700_000_001
OTHER = 700_000_002
BURST = 8


async def _burst(rate_limiter: AIORateLimiter) -> tuple[float, dict[str, int], int]:
    """Eight messages at once into one chat, one into another; (seconds, 429s, messages seen)."""
    async with BotApiEmulator() as emulator:  # Telegram's limits, as by default
        await emulator.add_user(PATIENT, first_name="Asha")
        await emulator.add_user(OTHER, first_name="Ravi")
        bot = ExtBot(emulator.token, base_url=emulator.bot_base_url, rate_limiter=rate_limiter)
        async with bot:
            started = time.perf_counter()
            other = asyncio.ensure_future(bot.send_message(OTHER, "not held back"))
            await asyncio.gather(*(bot.send_message(PATIENT, f"part {n}") for n in range(BURST)))
            elapsed = time.perf_counter() - started
            await other
        refused = (await emulator.flood_limits())["refused"]
        seen = len(await emulator.bot_messages(PATIENT))
    return elapsed, refused, seen


async def test_a_burst_into_one_private_chat_is_paced_not_refused() -> None:
    elapsed, refused, seen = await _burst(MeasuredRateLimiter(max_retries=0))
    assert refused.get("private", 0) == 0
    assert seen == BURST
    # Past the burst, each message waits its turn: the pacing really happened.
    assert elapsed >= (BURST - PRIVATE_BURST - 1) * PRIVATE_PERIOD / PRIVATE_BURST


async def test_without_the_pacing_telegram_refuses_the_same_burst() -> None:
    _, refused, _ = await _burst(AIORateLimiter(max_retries=3))
    assert refused.get("private", 0) > 0


def test_only_sending_counts() -> None:
    assert counts_as_sending("sendMessage") and counts_as_sending("copyMessage")
    assert counts_as_sending("editMessageText") and counts_as_sending("sendDocument")
    assert not counts_as_sending("sendChatAction")
    assert not counts_as_sending("answerCallbackQuery") and not counts_as_sending("getChat")
