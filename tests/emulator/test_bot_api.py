"""The Bot API as a real python-telegram-bot Bot sees it."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    ReplyParameters,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)

from emulator import BotApiEmulator
from tests.emulator.conftest import PATIENT_ID


def seconds(value: int | dt.timedelta) -> float:
    """RetryAfter.retry_after is an int or a timedelta depending on PTB settings."""
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


KEYBOARD = InlineKeyboardMarkup(
    [
        [
            InlineKeyboardButton("I agree", callback_data='/affirm{"clause":"1"}'),
            InlineKeyboardButton("No", callback_data="/deny"),
        ]
    ]
)


async def test_get_me_describes_the_configured_bot(bot: Bot, emulator: BotApiEmulator) -> None:
    me = await bot.get_me()
    assert me.is_bot
    assert me.username == "triage_test_bot"
    assert me.id == int(emulator.token.split(":")[0])


async def test_unknown_token_is_unauthorized(emulator: BotApiEmulator) -> None:
    stranger = Bot("42:not-a-known-token", base_url=emulator.bot_base_url)
    with pytest.raises(InvalidToken):
        await stranger.get_me()


async def test_send_message_with_inline_keyboard_is_recorded(
    bot: Bot, emulator: BotApiEmulator, patient: dict
) -> None:
    sent = await bot.send_message(
        PATIENT_ID, "<b>Consent</b> clause 1", parse_mode=ParseMode.HTML, reply_markup=KEYBOARD
    )
    assert sent.text == "Consent clause 1"
    assert sent.entities[0].type == "bold"
    assert sent.reply_markup == KEYBOARD
    [record] = await emulator.bot_messages(PATIENT_ID)
    assert record["text"] == "<b>Consent</b> clause 1"
    assert record["plain_text"] == "Consent clause 1"
    assert record["parse_mode"] == "HTML"
    assert record["kind"] == "text"
    buttons = record["reply_markup"]["inline_keyboard"][0]
    assert [b["callback_data"] for b in buttons] == ['/affirm{"clause":"1"}', "/deny"]


async def test_message_ids_increase_per_chat(bot: Bot, patient: dict) -> None:
    first = await bot.send_message(PATIENT_ID, "one")
    second = await bot.send_message(PATIENT_ID, "two")
    assert second.message_id == first.message_id + 1


async def test_long_poll_receives_injected_message_and_offset_confirms(
    bot: Bot, emulator: BotApiEmulator, patient: dict
) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    assert not poll.done()
    await emulator.send_user_message(PATIENT_ID, "/start")
    updates = await asyncio.wait_for(poll, 2)
    assert [u.message.text for u in updates] == ["/start"]
    entity = updates[0].message.entities[0]
    assert (entity.type, entity.offset, entity.length) == ("bot_command", 0, 6)
    assert updates[0].message.chat.id == PATIENT_ID
    assert updates[0].message.chat.type == "private"

    await emulator.send_user_message(PATIENT_ID, "second")
    again = await bot.get_updates(timeout=0)
    assert [u.message.text for u in again] == ["/start", "second"]  # nothing confirmed yet
    rest = await bot.get_updates(offset=updates[0].update_id + 1, timeout=0)
    assert [u.message.text for u in rest] == ["second"]
    assert await bot.get_updates(offset=rest[-1].update_id + 1, timeout=0.1) == ()


async def test_limit_and_allowed_updates(bot: Bot, emulator: BotApiEmulator, patient: dict) -> None:
    for text in ("a", "b", "c"):
        await emulator.send_user_message(PATIENT_ID, text)
    assert len(await bot.get_updates(limit=2)) == 2
    await bot.get_updates(offset=-1, allowed_updates=["callback_query"])
    await emulator.send_user_message(PATIENT_ID, "filtered out")
    assert [u.message.text for u in await bot.get_updates()] == ["c"]


async def test_callback_query_round_trip(bot: Bot, emulator: BotApiEmulator, patient: dict) -> None:
    sent = await bot.send_message(PATIENT_ID, "Do you agree?", reply_markup=KEYBOARD)
    query_id = await emulator.press_button(PATIENT_ID, sent.message_id, text="I agree")
    [update] = await bot.get_updates()
    query = update.callback_query
    assert query.id == query_id
    assert query.data == '/affirm{"clause":"1"}'
    assert query.from_user.id == PATIENT_ID
    assert query.message.message_id == sent.message_id

    assert await query.answer("Noted")
    edited = await bot.edit_message_reply_markup(PATIENT_ID, sent.message_id, reply_markup=None)
    assert edited.reply_markup is None
    answer = await emulator.wait_for_callback_answer(query_id, timeout=1)
    assert answer["answered"] and answer["text"] == "Noted"
    [record] = await emulator.bot_messages(PATIENT_ID)
    assert record["reply_markup"] is None and record["edit_count"] == 1
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await query.answer()
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_reply_markup(PATIENT_ID, sent.message_id, reply_markup=None)


async def test_edit_text_and_delete(bot: Bot, emulator: BotApiEmulator, patient: dict) -> None:
    sent = await bot.send_message(PATIENT_ID, "draft", reply_markup=KEYBOARD)
    edited = await bot.edit_message_text("final", PATIENT_ID, sent.message_id)
    assert edited.text == "final" and edited.reply_markup is None
    assert await bot.delete_message(PATIENT_ID, sent.message_id)
    [record] = await emulator.bot_messages(PATIENT_ID)
    assert record["text"] == "final" and record["deleted"]
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(PATIENT_ID, sent.message_id)


async def test_send_document_bytes_are_stored_and_downloadable(
    bot: Bot, emulator: BotApiEmulator, patient: dict
) -> None:
    pdf = b"%PDF-1.4 consent receipt"
    sent = await bot.send_document(
        PATIENT_ID, InputFile(pdf, filename="receipt.pdf"), caption="Your receipt"
    )
    assert sent.document.file_name == "receipt.pdf"
    [record] = await emulator.bot_messages(PATIENT_ID)
    assert record["kind"] == "document" and record["caption"] == "Your receipt"
    assert record["file_name"] == "receipt.pdf" and record["mime_type"] == "application/pdf"
    assert await emulator.file_bytes(record["file_id"]) == pdf
    telegram_file = await bot.get_file(sent.document.file_id)
    assert bytes(await telegram_file.download_as_bytearray()) == pdf


async def test_copy_photo_into_forum_topic(
    bot: Bot, emulator: BotApiEmulator, patient: dict
) -> None:
    photo = await emulator.send_user_message(
        PATIENT_ID, media="photo", content=b"jpeg-bytes", caption="my report"
    )
    group = await emulator.create_group("Staff", forum=True)
    assert group["id"] < -1_000_000_000_000 and group["is_forum"]
    topic = await bot.create_forum_topic(group["id"], "Case ABC-1")
    assert topic.name == "Case ABC-1"

    copied = await bot.copy_message(
        group["id"], PATIENT_ID, photo["message_id"], message_thread_id=topic.message_thread_id
    )
    [record] = await emulator.wait_for_bot_messages(
        group["id"], 1, thread_id=topic.message_thread_id
    )
    assert record["message_id"] == copied.message_id
    assert record["kind"] == "photo" and record["caption"] == "my report"
    assert await emulator.file_bytes(record["file_id"]) == b"jpeg-bytes"
    assert await emulator.topics(group["id"]) == [
        {
            "message_thread_id": topic.message_thread_id,
            "name": "Case ABC-1",
            "icon_color": topic.icon_color,
            "closed": False,
        }
    ]

    assert await bot.close_forum_topic(group["id"], topic.message_thread_id)
    with pytest.raises(BadRequest, match=r"(?i)TOPIC_NOT_MODIFIED"):
        await bot.close_forum_topic(group["id"], topic.message_thread_id)
    with pytest.raises(BadRequest, match=r"(?i)message thread not found"):
        await bot.send_message(group["id"], "lost", message_thread_id=9999)


async def test_staff_message_in_topic_reaches_bot(bot: Bot, emulator: BotApiEmulator) -> None:
    group = await emulator.create_group("Staff", forum=True)
    topic = await bot.create_forum_topic(group["id"], "Case 7")
    await emulator.send_user_message(
        800_001, "Hello from staff", chat_id=group["id"], thread_id=topic.message_thread_id
    )
    [update] = await bot.get_updates()
    message = update.message
    assert message.chat.type == "supergroup" and message.chat.is_forum
    assert message.message_thread_id == topic.message_thread_id
    assert message.is_topic_message
    assert message.reply_to_message.forum_topic_created.name == "Case 7"


async def test_get_chat_member_follows_membership_table(bot: Bot, emulator: BotApiEmulator) -> None:
    group = await emulator.create_group("Staff", members={800_001: "administrator"})
    await emulator.add_user(800_002)
    admin = await bot.get_chat_member(group["id"], 800_001)
    assert admin.status == "administrator"
    assert (await bot.get_chat_member(group["id"], 800_002)).status == "left"
    await emulator.set_member_status(group["id"], 800_002, "kicked")
    assert (await bot.get_chat_member(group["id"], 800_002)).status == "kicked"
    await emulator.set_member_status(group["id"], 800_002, "creator")
    assert (await bot.get_chat_member(group["id"], 800_002)).status == "creator"
    me = await bot.get_chat_member(group["id"], bot.id)
    assert me.status == "administrator" and me.can_manage_topics
    chat = await bot.get_chat(group["id"])
    assert chat.title == "Staff" and chat.type == "supergroup"


async def test_text_limits_are_enforced(bot: Bot, patient: dict) -> None:
    assert (await bot.send_message(PATIENT_ID, "x" * 4096)).text == "x" * 4096
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(PATIENT_ID, "x" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(PATIENT_ID, "   ")
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("b", callback_data="x" * 65)]])
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(PATIENT_ID, "buttons", reply_markup=too_long)


async def test_bad_markup_is_rejected_like_telegram(bot: Bot, patient: dict) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(PATIENT_ID, "age < 5 <b>bold", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)must be escaped"):
        await bot.send_message(PATIENT_ID, "Done.", parse_mode=ParseMode.MARKDOWN_V2)
    ok = await bot.send_message(PATIENT_ID, r"*Done*\.", parse_mode=ParseMode.MARKDOWN_V2)
    assert ok.text == "Done."


async def test_reply_parameters(bot: Bot, emulator: BotApiEmulator, patient: dict) -> None:
    incoming = await emulator.send_user_message(PATIENT_ID, "question")
    reply = await bot.send_message(
        PATIENT_ID, "answer", reply_parameters=ReplyParameters(incoming["message_id"])
    )
    assert reply.reply_to_message.text == "question"
    with pytest.raises(BadRequest, match=r"(?i)message to be replied not found"):
        await bot.send_message(PATIENT_ID, "x", reply_parameters=ReplyParameters(999))


async def test_blocked_user_gives_forbidden(
    bot: Bot, emulator: BotApiEmulator, patient: dict
) -> None:
    await emulator.set_bot_blocked(PATIENT_ID)
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(PATIENT_ID, "hello?")
    [update] = await bot.get_updates()
    assert update.my_chat_member.new_chat_member.status == "kicked"
    stranger = await emulator.add_user(700_999, has_started_bot=False)
    with pytest.raises(Forbidden, match=r"(?i)can't initiate conversation"):
        await bot.send_message(stranger["id"], "hi")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(123_123_123, "nobody")


async def test_injected_429_gives_retry_after(
    bot: Bot, emulator: BotApiEmulator, patient: dict
) -> None:
    await emulator.fail_next("sendMessage", status=429, retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(PATIENT_ID, "hi")
    assert seconds(caught.value.retry_after) == 7
    await emulator.fail_next("sendMessage", count=2, status=502)
    for _ in range(2):
        with pytest.raises(NetworkError):
            await bot.send_message(PATIENT_ID, "hi")
    assert (await bot.send_message(PATIENT_ID, "finally")).text == "finally"
    statuses = [c["status"] for c in await emulator.api_calls("sendMessage")]
    assert statuses == [429, 502, 502, 200]
    counts = emulator.world.bot().call_counts  # what a bench reads per window
    assert [counts[f"sendMessage{s}"] for s in ("", " 429", " 502")] == [1, 1, 2]


async def test_commands_and_media(bot: Bot, emulator: BotApiEmulator, patient: dict) -> None:
    assert await bot.set_my_commands([("start", "Begin"), ("help", "Help")])
    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
    voice = await bot.send_voice(PATIENT_ID, InputFile(b"ogg", filename="v.ogg"))
    assert voice.voice.mime_type == "audio/ogg"
    with pytest.raises(BadRequest, match=r"(?i)can't use file of type voice as sticker"):
        await bot.send_sticker(PATIENT_ID, voice.voice.file_id)
    sticker = await bot.send_sticker(PATIENT_ID, InputFile(b"webp", filename="s.webp"))
    again = await bot.send_sticker(PATIENT_ID, sticker.sticker.file_id)
    assert again.sticker.file_id == sticker.sticker.file_id
    assert await bot.send_chat_action(PATIENT_ID, "typing")
    kinds = [r["kind"] for r in await emulator.bot_messages(PATIENT_ID)]
    assert kinds == ["voice", "sticker", "sticker"]
    actions = [e for e in await emulator.events() if e["type"] == "chat_action"]
    assert actions[0]["action"] == "typing"


async def test_wait_for_bot_messages_times_out_with_what_arrived(
    bot: Bot, emulator: BotApiEmulator, patient: dict
) -> None:
    await bot.send_message(PATIENT_ID, "only one")
    with pytest.raises(TimeoutError, match=r"(?i)sent 1 of 2.*only one"):
        await emulator.wait_for_bot_messages(PATIENT_ID, 2, timeout=0.1)


async def test_concurrent_getupdates_conflict(bot: Bot, emulator: BotApiEmulator) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    async with Bot(emulator.token, base_url=emulator.bot_base_url) as second_instance:
        second = asyncio.create_task(second_instance.get_updates(timeout=0.2))
        with pytest.raises(Conflict, match=r"(?i)terminated by other getUpdates"):
            await asyncio.wait_for(first, 2)
        assert await second == ()


async def test_user_media_location_contact_edits_and_channel_posts(
    bot: Bot, emulator: BotApiEmulator, patient: dict
) -> None:
    document = await emulator.send_user_message(
        PATIENT_ID, media="document", content=b"scan", file_name="mri.pdf",
        mime_type="application/pdf", caption="/upload my MRI")
    await emulator.send_user_message(PATIENT_ID, media="voice")
    await emulator.send_user_message(PATIENT_ID, location={"latitude": 12.9, "longitude": 77.6})
    await emulator.send_user_message(PATIENT_ID, contact={"phone_number": "+911234567890"})
    await emulator.edit_user_message(PATIENT_ID, document["message_id"], caption="my MRI scan")
    channel = await emulator.create_channel("News", username="news_test")
    await emulator.post_channel_message(channel["id"], "announcement")

    updates = await bot.get_updates()
    first = updates[0].message
    assert first.document.file_name == "mri.pdf"
    assert first.caption_entities[0].type == "bot_command"
    assert bytes(await (await first.document.get_file()).download_as_bytearray()) == b"scan"
    assert updates[1].message.voice.mime_type == "audio/ogg"
    assert updates[2].message.location.latitude == 12.9
    assert updates[3].message.contact.phone_number == "+911234567890"
    assert updates[4].edited_message.caption == "my MRI scan"
    assert updates[5].channel_post.text == "announcement"
    assert updates[5].channel_post.sender_chat.id == channel["id"]
    assert [u.update_id for u in updates] == sorted(u.update_id for u in updates)
    assert (await bot.get_chat("@news_test")).type == "channel"
