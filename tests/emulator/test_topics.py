"""Forum topics deleted or closed under the bot: Telegram's 400s, exact wording and codes,
and the service messages a closed or reopened topic brings."""

from __future__ import annotations

import asyncio

import pytest
from telegram import Bot
from telegram.error import BadRequest

from emulator import BotApiEmulator, ControlError
from tests.emulator.conftest import PATIENT_ID

STAFF_ID = 800_001


async def staff_forum(emulator: BotApiEmulator) -> int:
    group = await emulator.create_group(
        "Care team", forum=True, members={STAFF_ID: "administrator"}
    )
    return group["id"]


async def test_deleted_topic_answers_message_thread_not_found(
    bot: Bot, emulator: BotApiEmulator, patient: dict
) -> None:
    group = await staff_forum(emulator)
    topic = await bot.create_forum_topic(group, "Case A-1")
    card = await bot.send_message(group, "card", message_thread_id=topic.message_thread_id)
    incoming = await emulator.send_user_message(PATIENT_ID, "my knee hurts")
    await emulator.delete_topic(group, topic.message_thread_id)
    thread = topic.message_thread_id
    with pytest.raises(BadRequest, match=r"(?i)message thread not found"):
        await bot.send_message(group, "relay", message_thread_id=thread)
    with pytest.raises(BadRequest, match=r"(?i)message thread not found"):
        await bot.copy_message(group, PATIENT_ID, incoming["message_id"], message_thread_id=thread)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("card, updated", group, card.message_id)
    sends = [c for c in await emulator.api_calls() if c["status"] == 400]
    assert [c["method"] for c in sends] == ["sendMessage", "copyMessage", "editMessageText"]
    assert await emulator.topics(group) == []


async def test_exact_bodies_over_http(emulator: BotApiEmulator, bot: Bot) -> None:
    """What a client other than PTB reads: error_code and description, byte for byte."""
    import aiohttp

    group = await staff_forum(emulator)
    topic = await bot.create_forum_topic(group, "Case A-2")
    await emulator.delete_topic(group, topic.message_thread_id, stale_seconds=30)
    url = f"{emulator.bot_base_url}{emulator.token}/sendMessage"
    body = {"chat_id": group, "text": "hi", "message_thread_id": topic.message_thread_id}
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json=body) as response:
            assert response.status == 400
            assert await response.json() == {
                "ok": False, "error_code": 400, "description": "Bad Request: TOPIC_DELETED"}
        general = {"chat_id": group, "text": "hi", "message_thread_id": 1}
        async with http.post(url, json=general) as response:
            assert (await response.json())["description"] == "Bad Request: message thread not found"


async def test_recently_deleted_topic_answers_topic_deleted_first(
    bot: Bot, emulator: BotApiEmulator
) -> None:
    group = await staff_forum(emulator)
    topic = await bot.create_forum_topic(group, "Case A-3")
    await emulator.delete_topic(group, topic.message_thread_id, stale_seconds=0.2)
    with pytest.raises(BadRequest, match=r"(?i)topic_deleted"):
        await bot.send_message(group, "relay", message_thread_id=topic.message_thread_id)
    await asyncio.sleep(0.25)
    with pytest.raises(BadRequest, match=r"(?i)message thread not found"):
        await bot.send_message(group, "relay", message_thread_id=topic.message_thread_id)


async def test_closed_topic_refuses_a_bot_that_may_not_manage_topics(
    bot: Bot, emulator: BotApiEmulator
) -> None:
    group = await staff_forum(emulator)
    own = await bot.create_forum_topic(group, "Case B-1")
    opened_by_staff = await emulator.create_topic(group, "Front desk", by_user_id=STAFF_ID)
    for thread in (own.message_thread_id, opened_by_staff["message_thread_id"]):
        closed = await emulator.close_topic(group, thread, by_user_id=STAFF_ID)
        assert closed["forum_topic_closed"] == {} and closed["message_thread_id"] == thread
        # An admin with can_manage_topics posts in a closed topic, as Telegram allows.
        await bot.send_message(group, "still allowed", message_thread_id=thread)
    await emulator.set_bot_membership(group, "administrator", rights={"can_manage_topics": False})
    assert (await bot.get_chat_member(group, bot.id)).can_manage_topics is False
    # Its own topic still takes its messages (a topic's creator may post in it)...
    await bot.send_message(group, "mine", message_thread_id=own.message_thread_id)
    # ...another's closed topic does not.
    thread = opened_by_staff["message_thread_id"]
    with pytest.raises(BadRequest, match=r"(?i)topic_closed"):
        await bot.send_message(group, "relay", message_thread_id=thread)
    [refused] = [c for c in await emulator.api_calls("sendMessage") if c["status"] == 400]
    assert refused["params"]["message_thread_id"] in (thread, str(thread))
    await emulator.reopen_topic(group, thread, by_user_id=STAFF_ID)
    await bot.send_message(group, "open again", message_thread_id=thread)


async def test_staff_closing_and_reopening_reach_the_bot_as_service_messages(
    bot: Bot, emulator: BotApiEmulator
) -> None:
    group = await staff_forum(emulator)
    topic = await bot.create_forum_topic(group, "Case C-1")
    thread = topic.message_thread_id
    await emulator.close_topic(group, thread, by_user_id=STAFF_ID)
    await emulator.reopen_topic(group, thread, by_user_id=STAFF_ID)
    updates = await bot.get_updates()
    closed, reopened = [u.message for u in updates]
    assert closed.forum_topic_closed is not None and reopened.forum_topic_reopened is not None
    assert closed.message_thread_id == thread and closed.is_topic_message
    assert closed.from_user.id == STAFF_ID
    assert closed.reply_to_message.forum_topic_created.name == "Case C-1"
    with pytest.raises(ControlError, match=r"(?i)topic_not_modified"):
        await emulator.reopen_topic(group, thread, by_user_id=STAFF_ID)
    await emulator.set_member_status(group, STAFF_ID, "member")
    with pytest.raises(ControlError, match="may not close"):
        await emulator.close_topic(group, thread, by_user_id=STAFF_ID)
    # Deleting sends the bot nothing, as in Telegram.
    await emulator.delete_topic(group, thread)
    assert await bot.get_updates(offset=updates[-1].update_id + 1) == ()


async def test_bot_topic_methods_and_their_rights(bot: Bot, emulator: BotApiEmulator) -> None:
    group = await staff_forum(emulator)
    topic = await bot.create_forum_topic(group, "Case D-1")
    thread = topic.message_thread_id
    assert await bot.close_forum_topic(group, thread)
    with pytest.raises(BadRequest, match=r"(?i)topic_not_modified"):
        await bot.close_forum_topic(group, thread)
    assert await bot.reopen_forum_topic(group, thread)
    assert await bot.edit_forum_topic(group, thread, name="Case D-1 (urgent)")
    services = ("forum_topic_created", "forum_topic_closed", "forum_topic_reopened",
                "forum_topic_edited")
    kinds = [next(k for k in services if k in m) for m in await emulator.chat_history(group)]
    assert kinds == list(services)
    await emulator.set_bot_membership(group, "administrator", rights={"can_manage_topics": False})
    with pytest.raises(BadRequest, match=r"(?i)not enough rights to create a topic"):
        await bot.create_forum_topic(group, "Case D-2")
    # Its own topic it may still close (TDLib's rule for a topic's creator).
    assert await bot.close_forum_topic(group, thread)
    assert await bot.delete_forum_topic(group, thread)
    with pytest.raises(BadRequest, match=r"(?i)message thread not found"):
        await bot.delete_forum_topic(group, thread)
    with pytest.raises(BadRequest, match=r"(?i)message thread not found"):
        await bot.send_message(group, "gone", message_thread_id=thread)
