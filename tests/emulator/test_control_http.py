"""The control API over HTTP through EmulatorClient, as another process would use it."""

from __future__ import annotations

import asyncio

import pytest
from telegram import (
    Bot,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
)
from telegram.error import BadRequest, NetworkError, RetryAfter

from emulator import BotApiEmulator, ControlError, EmulatorClient, EmulatorTimeout
from tests.emulator.conftest import PATIENT_ID


async def test_client_plays_user_and_reads_bot_side(bot: Bot, emulator: BotApiEmulator) -> None:
    async with EmulatorClient(emulator.base_url) as client:
        await client.add_user(PATIENT_ID, first_name="Ravi")
        sent = await client.send_user_message(PATIENT_ID, "/start hello")
        assert sent["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
        [update] = await bot.get_updates()
        assert update.message.from_user.first_name == "Ravi"

        waiting = asyncio.create_task(client.wait_for_bot_messages(PATIENT_ID, 2, timeout=3))
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="/affirm")]])
        question = await bot.send_message(PATIENT_ID, "Continue?", reply_markup=keyboard)
        await bot.send_document(PATIENT_ID, InputFile(b"PDF", filename="r.pdf"))
        records = await waiting
        assert [r["kind"] for r in records] == ["text", "document"]
        assert await client.file_bytes(records[1]["file_id"]) == b"PDF"

        query_id = await client.press_button(
            PATIENT_ID, question.message_id, callback_data="/affirm"
        )
        [update] = await bot.get_updates(offset=update.update_id + 1)
        await update.callback_query.answer("ok")
        answer = await client.wait_for_callback_answer(query_id, timeout=2)
        assert answer["text"] == "ok"

        photo = await client.send_user_message(PATIENT_ID, media="photo", content=b"\xff\xd8")
        telegram_file = await bot.get_file(photo["photo"][-1]["file_id"])
        assert bytes(await telegram_file.download_as_bytearray()) == b"\xff\xd8"

        events = await client.events(after=0)
        assert [e["type"] for e in events][:3] == ["sent", "sent", "callback_answered"]
        assert await client.events(after=events[-1]["seq"], timeout=0.05) == []


async def test_client_faults_errors_and_reset(bot: Bot, emulator: BotApiEmulator) -> None:
    async with EmulatorClient(emulator.base_url) as client:
        group = await client.create_group("Staff", forum=True, members={800_001: "creator"})
        assert (await bot.get_chat_member(group["id"], 800_001)).status == "creator"
        await client.fail_next("getChat", status=500)
        with pytest.raises(NetworkError):
            await bot.get_chat(group["id"])
        with pytest.raises(ControlError, match="no bot message"):
            await client.press_button(PATIENT_ID, 1, text="nothing")
        with pytest.raises(EmulatorTimeout, match="sent 0 of 1"):
            await client.wait_for_bot_messages(group["id"], 1, timeout=0.05)
        await client.reset()
        with pytest.raises(BadRequest, match=r"(?i)chat not found"):
            await bot.get_chat(group["id"])


async def test_membership_update_when_bot_added_to_group(
    bot: Bot, emulator: BotApiEmulator
) -> None:
    async with EmulatorClient(emulator.base_url) as client:
        group = await client.create_group("New staff", bot_status="left")
        await client.set_bot_membership(group["id"], "administrator", by_user_id=800_001)
        [update] = await bot.get_updates(allowed_updates=["my_chat_member", "message"])
        change = update.my_chat_member
        assert change.chat.id == group["id"]
        assert (change.old_chat_member.status, change.new_chat_member.status) == (
            "left",
            "administrator",
        )
        assert change.from_user.id == 800_001


async def test_client_limits_topics_and_menus(bot: Bot, emulator: BotApiEmulator) -> None:
    """The controls of limits, staff topic actions and command menus work over HTTP too."""
    async with EmulatorClient(emulator.base_url) as client:
        limits = await client.set_flood_limits(group_per_minute=20, group_burst=1)
        assert limits["overall_per_second"] is None and limits["group_burst"] == 1
        group = (await client.create_group(
            "Staff", forum=True, members={800_001: "administrator"}))["id"]
        topic = await client.create_topic(group, "Front desk", by_user_id=800_001)
        thread = topic["message_thread_id"]
        await bot.send_message(group, "one", message_thread_id=thread)
        with pytest.raises(RetryAfter):
            await bot.send_message(group, "two", message_thread_id=thread)
        assert (await client.flood_limits())["refused"] == {"group": 1}
        await client.use_telegram_limits()
        closed = await client.close_topic(group, thread, by_user_id=800_001)
        assert "forum_topic_closed" in closed
        await client.reopen_topic(group, thread, by_user_id=800_001)
        await client.delete_topic(group, thread, stale_seconds=5)
        with pytest.raises(BadRequest, match=r"(?i)topic_deleted"):
            await bot.send_message(group, "three", message_thread_id=thread)
        await client.set_member_status(group, 800_001, "administrator",
                                       rights={"can_manage_topics": False})
        assert (await bot.get_chat_member(group, 800_001)).can_manage_topics is False
        await bot.set_my_commands([("queue", "Cases waiting")],
                                  scope=BotCommandScopeChat(group))
        assert await client.commands({"type": "chat", "chat_id": group}) == [
            {"command": "queue", "description": "Cases waiting"}]
        assert (await client.visible_commands(group, 800_001))[0]["command"] == "queue"
