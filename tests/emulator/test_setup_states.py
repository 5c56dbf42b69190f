"""The wrong set-ups of a real staff group, as Telegram answers them (bot/check.py reads them):
not a forum, the bot not an admin or without can_manage_topics, privacy mode, a foreign
webhook, a missing chat."""

from __future__ import annotations

import pytest
from telegram import Bot, ChatMemberAdministrator, ChatMemberMember
from telegram.error import BadRequest

from emulator import BotApiEmulator
from emulator.client import EmulatorClient


@pytest.fixture
async def group(emulator: BotApiEmulator) -> int:
    await emulator.add_user(800_001, first_name="Ravi")
    chat = await emulator.create_group("Care team", forum=True, members={800_001: "creator"})
    return int(chat["id"])


async def test_topics_off(emulator: BotApiEmulator, bot: Bot, group: int) -> None:
    assert (await bot.get_chat(group)).is_forum is True
    await emulator.set_forum(group, False)
    chat = await bot.get_chat(group)
    # As Telegram: is_forum is only present when true.
    assert chat.type == "supergroup" and not chat.is_forum


async def test_a_basic_group_cannot_be_a_forum(emulator: BotApiEmulator) -> None:
    basic = await emulator.create_group("Old", supergroup=False)
    with pytest.raises(Exception, match="only supergroups"):
        await emulator.set_forum(basic["id"], True)


async def test_the_bot_demoted_or_without_manage_topics(
    emulator: BotApiEmulator, bot: Bot, group: int
) -> None:
    me = await bot.get_me()
    member = await bot.get_chat_member(group, me.id)
    assert isinstance(member, ChatMemberAdministrator) and member.can_manage_topics
    await emulator.set_bot_membership(group, "administrator", rights={"can_manage_topics": False})
    member = await bot.get_chat_member(group, me.id)
    assert isinstance(member, ChatMemberAdministrator) and not member.can_manage_topics
    await emulator.set_bot_membership(group, "member")
    assert isinstance(await bot.get_chat_member(group, me.id), ChatMemberMember)


async def test_privacy_mode(emulator: BotApiEmulator, bot: Bot) -> None:
    assert (await bot.get_me()).can_read_all_group_messages is True
    user = await emulator.set_privacy_mode(True)
    assert user["can_read_all_group_messages"] is False
    assert (await bot.get_me()).can_read_all_group_messages is False
    await emulator.set_privacy_mode(False)
    assert (await bot.get_me()).can_read_all_group_messages is True


async def test_a_foreign_webhook_with_its_last_error(emulator: BotApiEmulator, bot: Bot) -> None:
    await emulator.set_webhook_state("https://old.example.org/hook",
                                     last_error_message="Connection refused",
                                     last_error_date=1_700_000_000)
    info = await bot.get_webhook_info()
    assert info.url == "https://old.example.org/hook"
    assert info.last_error_message == "Connection refused"
    assert int(info.last_error_date.timestamp()) == 1_700_000_000
    assert info.pending_update_count == 0
    await emulator.set_webhook_state("")
    assert (await bot.get_webhook_info()).url == ""


async def test_a_missing_chat(bot: Bot, group: int) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.get_chat(group - 1)


async def test_the_setters_over_http(emulator: BotApiEmulator, group: int) -> None:
    async with EmulatorClient(emulator.base_url) as client:
        assert (await client.set_forum(group, False)).get("is_forum") is None
        assert (await client.set_privacy_mode(True))["can_read_all_group_messages"] is False
        info = await client.set_webhook_state("https://old.example.org/hook")
        assert info["url"] == "https://old.example.org/hook"


async def test_privacy_mode_hides_staff_messages_from_a_member_bot(
    emulator: BotApiEmulator, bot: Bot, group: int
) -> None:
    topic = await bot.create_forum_topic(group, "Case 1")
    thread = topic.message_thread_id
    await emulator.set_privacy_mode(True)
    # An administrator gets every message, privacy mode or not.
    await emulator.send_user_message(800_001, "as admin", chat_id=group, thread_id=thread)
    await emulator.set_bot_membership(group, "member")
    await emulator.send_user_message(800_001, "hidden", chat_id=group, thread_id=thread)
    await emulator.send_user_message(800_001, "/queue", chat_id=group, thread_id=thread)
    sent = await bot.send_message(group, "card", message_thread_id=thread)
    await emulator.send_user_message(800_001, "a reply", chat_id=group, thread_id=thread,
                                     reply_to_message_id=sent.message_id)
    await emulator.set_privacy_mode(False)
    await emulator.send_user_message(800_001, "seen again", chat_id=group, thread_id=thread)
    texts = [u.message.text for u in await bot.get_updates() if u.message and u.message.text]
    assert texts == ["as admin", "/queue", "a reply", "seen again"]
