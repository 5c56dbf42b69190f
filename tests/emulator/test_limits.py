"""Telegram's sending limits as a real PTB Bot meets them: 429 with retry_after, per group,
per private chat and overall, on by default with Telegram's numbers."""

from __future__ import annotations

import asyncio
import datetime as dt
import time

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, RetryAfter
from telegram.ext import AIORateLimiter, ExtBot

from emulator import BotApiEmulator
from emulator.limits import TELEGRAM_LIMITS, FloodLimits
from tests.emulator.conftest import PATIENT_ID


def seconds(value: int | dt.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


async def forum(emulator: BotApiEmulator) -> int:
    return (await emulator.create_group("Care team", forum=True))["id"]


async def test_telegram_numbers_are_the_default(emulator: BotApiEmulator) -> None:
    state = await emulator.flood_limits()
    assert state["limits"] == TELEGRAM_LIMITS.to_json()
    assert state["limits"]["group_per_minute"] == 20 and state["limits"]["overall_per_second"] == 30
    assert state["refused"] == {}


async def test_twenty_a_minute_into_a_group_shared_by_its_topics(
    bot: Bot, emulator: BotApiEmulator
) -> None:
    group = await forum(emulator)
    first = await bot.create_forum_topic(group, "Case 1")  # a topic's creation is a message
    second = await bot.create_forum_topic(group, "Case 2")
    for n in range(18):
        topic = first if n % 2 else second
        await bot.send_message(group, f"m{n}", message_thread_id=topic.message_thread_id)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(group, "21st", message_thread_id=first.message_thread_id)
    # One message every 3 s refills the minute's budget of 20.
    assert seconds(caught.value.retry_after) == 3
    [refused] = [c for c in await emulator.api_calls("sendMessage") if c["status"] == 429]
    assert (refused["flood_limit"], refused["retry_after"]) == ("group", 3)
    assert (await emulator.flood_limits())["refused"] == {"group": 1}
    # The group's budget is its own: a private chat and another group are not held back.
    await emulator.add_user(PATIENT_ID)
    other = (await emulator.create_group("Other team"))["id"]
    await bot.send_message(PATIENT_ID, "still fine")
    await bot.send_message(other, "still fine")


async def test_edits_count_and_answers_and_actions_do_not(
    bot: Bot, emulator: BotApiEmulator
) -> None:
    await emulator.set_flood_limits(group_per_minute=20, group_burst=3)
    group = (await emulator.create_group("Care team"))["id"]
    card = await bot.send_message(group, "card")
    await bot.edit_message_text("card, edited", group, card.message_id)
    for _ in range(5):
        await bot.send_chat_action(group, "typing")
    await bot.edit_message_reply_markup(group, card.message_id, reply_markup=InlineKeyboardMarkup(
        [[InlineKeyboardButton("Take over", callback_data="claim")]]))
    with pytest.raises(RetryAfter):
        await bot.edit_message_text("card, again", group, card.message_id)


async def test_a_refused_or_rejected_call_takes_nothing(
    bot: Bot, emulator: BotApiEmulator
) -> None:
    await emulator.set_flood_limits(group_per_minute=20, group_burst=2)
    group = (await emulator.create_group("Care team"))["id"]
    for _ in range(3):
        with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
            await bot.send_message(group, " ")
    await bot.send_message(group, "one")
    await bot.send_message(group, "two")
    for _ in range(3):
        with pytest.raises(RetryAfter):
            await bot.send_message(group, "three")
    assert len(await emulator.bot_messages(group)) == 2


async def test_private_chat_allows_a_short_burst_then_one_a_second(
    bot: Bot, emulator: BotApiEmulator, patient: dict
) -> None:
    for n in range(TELEGRAM_LIMITS.private_burst):
        await bot.send_message(PATIENT_ID, f"reply {n}")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(PATIENT_ID, "one too many")
    assert seconds(caught.value.retry_after) == 1
    await asyncio.sleep(1.05)
    await bot.send_message(PATIENT_ID, "a second later")
    assert (await emulator.flood_limits())["refused"] == {"private": 1}


async def test_about_thirty_a_second_overall(bot: Bot, emulator: BotApiEmulator) -> None:
    users = range(1, 61)
    for user_id in users:
        await emulator.add_user(user_id)
    started = time.monotonic()
    results = await asyncio.gather(
        *(bot.send_message(user_id, "notice") for user_id in users), return_exceptions=True
    )
    took = time.monotonic() - started
    refused = [r for r in results if isinstance(r, RetryAfter)]
    # 30 at once, then the bucket refills at 30 a second while the calls arrive.
    assert 60 - len(refused) <= 30 + took * 30 + 1
    assert refused and {seconds(r.retry_after) for r in refused} == {1}
    limits = {c["flood_limit"] for c in await emulator.api_calls() if c["status"] == 429}
    assert limits == {"overall"}


async def test_each_bot_has_its_own_budget(bot: Bot, emulator: BotApiEmulator) -> None:
    await emulator.set_flood_limits(group_per_minute=20, group_burst=1)
    other_token = "222222222:AAOtherBotTokenForTheEmulatorTests00"
    emulator.add_bot(other_token, "other_bot")
    group = (await emulator.create_group("Shared"))["id"]
    await bot.send_message(group, "first bot")
    async with Bot(other_token, base_url=emulator.bot_base_url) as other:
        await other.send_message(group, "second bot")
    with pytest.raises(RetryAfter):
        await bot.send_message(group, "first bot again")


async def test_limits_adjust_and_switch_off(bot: Bot, emulator: BotApiEmulator) -> None:
    group = (await emulator.create_group("Care team"))["id"]
    assert (await emulator.set_flood_limits())["group_per_minute"] is None
    for n in range(30):
        await bot.send_message(group, f"unlimited {n}")
    await emulator.set_flood_limits(group_per_minute=600, group_burst=1)  # one per 0.1 s
    await bot.send_message(group, "one")
    with pytest.raises(RetryAfter):
        await bot.send_message(group, "too soon")
    await asyncio.sleep(0.12)
    await bot.send_message(group, "in time")
    await emulator.use_telegram_limits()
    assert (await emulator.flood_limits())["limits"] == TELEGRAM_LIMITS.to_json()
    await emulator.reset()
    assert (await emulator.flood_limits())["limits"] == TELEGRAM_LIMITS.to_json()
    with pytest.raises(ValueError, match="burst"):
        await emulator.set_flood_limits(group_per_minute=20, group_burst=0)


async def test_constructor_chooses_the_limits() -> None:
    async with BotApiEmulator(flood_limits=FloodLimits.off()) as unlimited:
        assert (await unlimited.flood_limits())["limits"]["overall_per_second"] is None
        await unlimited.reset()  # reset comes back to the constructor's limits, not Telegram's
        assert (await unlimited.flood_limits())["limits"]["group_per_minute"] is None


async def test_ptb_rate_limiter_meets_no_group_429(emulator: BotApiEmulator) -> None:
    """AIORateLimiter paces a group as the emulator counts it (a bucket of 20 refilled over
    the period), so a burst past the budget waits instead of being refused. Scaled to a
    10 s period to keep the test short."""
    await emulator.set_flood_limits(overall_per_second=30, group_per_minute=120, group_burst=20)
    group = (await emulator.create_group("Care team"))["id"]
    limiter = AIORateLimiter(group_max_rate=20, group_time_period=10)
    async with ExtBot(emulator.token, base_url=emulator.bot_base_url,
                      rate_limiter=limiter) as paced:
        started = time.monotonic()
        await asyncio.gather(*(paced.send_message(group, f"case {n}") for n in range(25)))
        took = time.monotonic() - started
    assert len(await emulator.bot_messages(group)) == 25
    assert [c for c in await emulator.api_calls("sendMessage") if c["status"] == 429] == []
    assert took >= 2.0  # five past the burst, one every 0.5 s
