"""The bad-input table: every odd thing a patient (or Telegram) can send gets a clear answer
or a deliberate silence, never a crash, and nothing the patient sent is lost.

Every row also checks that the patient's next ordinary message is answered as usual and
that what they sent is in their transcript.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from bot.content import message
from tests.e2e.conftest import STRANGER_ID
from tests.e2e.harness import Patient, World, button_labels, joined, texts
from tests.e2e.test_restart_resume import reach_consent
from tests.e2e.test_walking_skeleton import from_response

_channel_ids = itertools.count(-1_002_000_000_001, -1)
_group_ids = itertools.count(-1_003_000_000_001, -1)
# ~5000 characters; a greeting, so the model's answer starts no flow.
LONG_TEXT = "hello, good morning " * 250
# 64 bytes of junk a tampered client could put in callback data.
GARBAGE_64 = ('\x00"\\<>{}%' + "ÿ" * 20 + "\u202e" * 4 + "x" * 4)[:64]


# --- helpers ---------------------------------------------------------------------------


async def transcript(world: World, patient: Patient) -> list[dict[str, Any]]:
    repository = world.runtime.repository
    assert repository is not None
    return list((await repository.export_patient(patient.user_id))["messages"])


async def incoming(world: World, patient: Patient) -> list[dict[str, Any]]:
    return [m for m in await transcript(world, patient) if m["direction"] == "in"]


async def assert_hello_answered(patient: Patient) -> None:
    """The conversation goes on as usual after the odd input."""
    greeted = await patient.send("hello")
    assert any(from_response(t, "utter_greet") for t in texts(greeted)), texts(greeted)


def push_raw_message(world: World, patient: Patient, fields: dict[str, Any]) -> None:
    """A private message the control API cannot make (empty text, a dice): a raw update."""
    emu = world.emulator.world
    bot = emu.bot(None)
    user = emu.user(patient.user_id)
    emu.push_update(
        bot,
        "message",
        {
            "message_id": bot.chat_log(patient.chat_id).allocate_id(),
            "date": 1_790_000_000,
            "chat": {"id": patient.chat_id, "type": "private", "first_name": user["first_name"]},
            "from": user,
            **fields,
        },
    )


def forge_press(world: World, chat_id: int, message_id: int, user_id: int, data: str) -> str:
    """A callback query with any data on a bot message, as a tampered client could send."""
    emu = world.emulator.world
    bot = emu.bot(None)
    pressed = emu.message(bot, chat_id, message_id)
    assert pressed is not None and pressed.from_bot
    record = emu.new_callback_query(bot, pressed, user_id, data)
    emu.push_update(
        bot,
        "callback_query",
        {
            "id": record.id,
            "from": emu.user(user_id),
            "message": pressed.to_json(),
            "chat_instance": "4242",
            "data": data,
        },
    )
    return record.id


# --- the table of single messages ------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One kind of odd input: how to send it, what the bot answers first, what is stored."""

    send: Callable[[World, Patient], Awaitable[None]]
    # messages.yml keys the bot answers with, in order; "dialogue" = the model answers.
    answers: tuple[str, ...]
    stored_text: str | None
    stored_media: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def text_row(text: str, answers: tuple[str, ...]) -> Row:
    async def send(world: World, patient: Patient) -> None:
        await world.emulator.send_user_message(patient.user_id, text)

    return Row(send, answers, stored_text=text)


def media_row(kind: str, answers: tuple[str, ...] = (), **kwargs: Any) -> Row:
    async def send(world: World, patient: Patient) -> None:
        if kind in ("location", "contact"):
            await world.emulator.send_user_message(patient.user_id, **kwargs)
        else:
            await world.emulator.send_user_message(patient.user_id, media=kind, **kwargs)

    return Row(
        send,
        answers or (f"media_received.{kind}",),
        stored_text=kwargs.get("caption"),
        stored_media=kind,
    )


def raw_row(fields: dict[str, Any], answers: tuple[str, ...], stored_text: str | None) -> Row:
    async def send(world: World, patient: Patient) -> None:
        push_raw_message(world, patient, fields)

    media = None if "text" in fields else "other"
    return Row(send, answers, stored_text=stored_text, stored_media=media)


ROWS: dict[str, Row] = {
    "empty text": raw_row({"text": ""}, ("empty_message",), stored_text=None),
    "whitespace text": text_row("  \n\t  ", ("empty_message",)),
    "text over 4096 characters": text_row(LONG_TEXT, ("long_message", "dialogue")),
    "emoji only": text_row("🙂🙏🏽❤️‍🔥", ("dialogue",)),
    "right-to-left text": text_row("مرحبا، أريد رأيا ثانيا في عملية الركبة", ("dialogue",)),
    "zero-width characters only": text_row("\u200b\u200c\u200d\u2060\ufeff", ("empty_message",)),
    "zero-width inside a word": text_row("he\u200bllo\u200d", ("dialogue",)),
    "sticker": media_row("sticker"),
    "photo": media_row("photo"),
    "photo with a caption": media_row(
        "photo", ("media_received.photo", "dialogue"), caption="is this swelling normal?"
    ),
    "voice": media_row("voice"),
    "video": media_row("video"),
    "document": media_row("document", file_name="report.pdf", mime_type="application/pdf"),
    "location": media_row("location", location={"latitude": 19.07, "longitude": 72.87}),
    "contact": media_row("contact", contact={"phone_number": "+919800000000"}),
    "unsupported kind (dice)": raw_row(
        {"dice": {"emoji": "🎲", "value": 3}}, ("media_received.other",), stored_text=None
    ),
    "unknown command": text_row("/frobnicate now", ("unknown_command",)),
    "unknown command for another bot": text_row("/weather@SomeOtherBot", ("unknown_command",)),
}


@pytest.mark.parametrize("name", list(ROWS))
async def test_odd_message_gets_a_clear_answer_and_is_kept(world: World, name: str) -> None:
    row = ROWS[name]
    patient = await world.new_patient()
    await row.send(world, patient)
    replies = await patient._new_replies()

    shown = texts(replies)
    fixed = [key for key in row.answers if key != "dialogue"]
    assert len(shown) >= len(row.answers), shown
    for position, key in enumerate(fixed):
        assert shown[position] == message(key).strip(), shown
    if "dialogue" in row.answers:
        assert len(shown) > len(fixed), f"the dialogue model did not answer: {shown}"
    else:
        assert len(shown) == len(fixed), f"only the fixed answer was expected: {shown}"

    [kept] = await incoming(world, patient)
    assert kept["text"] == row.stored_text
    assert kept["media_type"] == row.stored_media
    await assert_hello_answered(patient)


# --- edits, channels, groups -------------------------------------------------------------


async def test_edited_message_is_kept_and_the_patient_is_told(world: World) -> None:
    patient = await world.new_patient()
    await patient.send("hello")
    [original] = await incoming(world, patient)
    await world.emulator.edit_user_message(
        patient.chat_id, original["telegram_message_id"], text="hello, knee replacement"
    )
    replies = await patient._new_replies()
    assert texts(replies) == [message("edited_message").strip()]

    kept = await incoming(world, patient)
    assert [(m["text"], m["media_type"]) for m in kept] == [
        ("hello", None),
        ("hello, knee replacement", "edit"),
    ]
    await assert_hello_answered(patient)


async def test_channel_post_gets_deliberate_silence(world: World) -> None:
    channel = await world.emulator.create_channel("Clinic news", chat_id=next(_channel_ids))
    await world.emulator.post_channel_message(channel["id"], "hello channel <b>x</b>")
    await world.idle()
    assert await world.emulator.bot_messages(channel["id"]) == []

    patient = await world.new_patient()
    await assert_hello_answered(patient)


async def test_bot_added_to_an_unrelated_group_says_so_and_leaves(world: World) -> None:
    group = await world.emulator.create_group(
        "Family chat",
        chat_id=next(_group_ids),
        members={STRANGER_ID: "creator"},
        bot_status="left",
    )
    await world.emulator.set_bot_membership(group["id"], "member", by_user_id=STRANGER_ID)
    await world.idle()

    notes = await world.emulator.bot_messages(group["id"])
    assert texts(notes) == [message("unrelated_group").strip()]
    bot_id = int(world.emulator.token.split(":")[0])
    assert world.emulator.world.chats[group["id"]].members[bot_id] == "left"

    # Whatever is written there afterwards is none of the bot's business.
    await world.emulator.send_user_message(STRANGER_ID, "hello bot", chat_id=group["id"])
    await world.idle()
    assert len(await world.emulator.bot_messages(group["id"])) == 1

    patient = await world.new_patient()
    await assert_hello_answered(patient)


async def test_staff_group_membership_change_is_not_treated_as_unrelated(world: World) -> None:
    before = len(await world.emulator.bot_messages(world.staff_chat_id))
    await world.emulator.set_bot_membership(
        world.staff_chat_id, "administrator", by_user_id=world.staff_ids[0]
    )
    await world.idle()
    after = await world.emulator.bot_messages(world.staff_chat_id)
    assert len(after) == before, texts(after[before:])


# --- buttons -------------------------------------------------------------------------------

FORGED = {
    "clause that does not exist": '/affirm{"clause":"9"}',
    "someone else's rating": "gw:rate:99999:5",
    "erase without asking": "gw:erase",
    "dialogue restart": "/restart",
    "not a payload": "hello there",
    "64 bytes of garbage": GARBAGE_64,
    "over 64 bytes": "/" + "x" * 200,
    "empty": "",
}


@pytest.mark.parametrize("name", list(FORGED))
async def test_forged_callback_data_is_refused_and_changes_nothing(world: World, name: str) -> None:
    data = FORGED[name]
    patient = await world.new_patient()
    started = await patient.send("/start")
    with_buttons = started[-1]
    assert button_labels(with_buttons), "the start message offers buttons"
    before = await transcript(world, patient)

    query_id = forge_press(
        world, patient.chat_id, with_buttons["message_id"], patient.user_id, data
    )
    answer = await world.emulator.wait_for_callback_answer(query_id)
    await world.idle()
    assert answer["text"] == message("stale_button")
    assert await patient._new_replies() == [], "a forged press made the bot say something"
    current = next(
        m for m in await patient.messages() if m["message_id"] == with_buttons["message_id"]
    )
    assert current["reply_markup"] == with_buttons["reply_markup"], "buttons were touched"

    after = await transcript(world, patient)
    added = after[len(before) :]
    assert [(m["direction"], m["text"], m["media_type"]) for m in added] == [
        ("in", data, "refused_button")
    ]
    repository = world.runtime.repository
    assert repository is not None
    stored = await repository.get_patient(patient.user_id)
    assert stored is not None and await repository.open_case_for(stored.id) is None
    await assert_hello_answered(patient)


async def test_stale_consent_buttons_never_change_a_recorded_decision(world: World) -> None:
    patient = await world.new_patient("Kiran", "M")
    await reach_consent(patient)
    clause_one = patient.history[-1]
    assert "Consent 1 of 5" in joined([clause_one])

    # Answered by typing: clause 1's buttons stay on screen.
    assert "Consent 2 of 5" in joined(await patient.send("yes"))
    clause_two = patient.history[-1]
    assert "Consent 3 of 5" in joined(await patient.press("I agree"))

    repository = world.runtime.repository
    assert repository is not None
    stored = await repository.get_patient(patient.user_id)
    assert stored is not None
    recorded = [(r.clause_id, r.decision) for r in await repository.consent_history(stored.id)]
    assert recorded == [("telehealth-1", "agreed"), ("telehealth-2", "agreed")]

    # The visible old button of clause 1, pressed now.
    await patient.press_on(clause_one, "I do not agree")
    # Clause 2's buttons were removed when pressed; its payload replayed by a tampered client.
    refuse_two = next(
        b["callback_data"]
        for row in clause_two["reply_markup"]["inline_keyboard"]
        for b in row
        if b["text"] == "I do not agree"
    )
    query_id = forge_press(
        world, patient.chat_id, clause_two["message_id"], patient.user_id, refuse_two
    )
    answer = await world.emulator.wait_for_callback_answer(query_id)
    assert answer["text"] == message("stale_button")
    await world.idle()

    again = [(r.clause_id, r.decision) for r in await repository.consent_history(stored.id)]
    assert again == recorded
    # The consent goes on where it was.
    assert "Consent 4 of 5" in joined(await patient.send("yes"))
    presses = [m["text"] for m in await incoming(world, patient) if m["text"] == refuse_two]
    assert presses, "the refused press is not in the transcript"


# --- markup in names and texts -------------------------------------------------------------

MARKUP_NAME = "<b>Bob</b> *x* _y_ &amp;"
MARKUP_TEXT = "<script>alert(1)</script> **bold** [link](http://x.y) &lt;"


async def test_markup_in_names_and_texts_is_shown_literally(world: World) -> None:
    calls_before = len(await world.emulator.api_calls())
    patient = await world.new_patient(MARKUP_NAME, "<i>")
    replies = await patient.send(MARKUP_TEXT)
    assert replies, "no answer to a text with markup"
    await patient.send("I want to talk to a person")

    failed = [c for c in (await world.emulator.api_calls())[calls_before:] if c["status"] != 200]
    assert failed == [], failed
    kept = await incoming(world, patient)
    assert kept[0]["text"] == MARKUP_TEXT

    repository = world.runtime.repository
    assert repository is not None
    stored = await repository.get_patient(patient.user_id)
    assert stored is not None and stored.display_name == f"{MARKUP_NAME} <i>"
    case = await repository.open_case_for(stored.id)
    assert case is not None, joined(patient.history)
    staff_side = joined(await world.emulator.bot_messages(world.staff_chat_id))
    assert f"{MARKUP_NAME} <i>" in staff_side
    assert MARKUP_TEXT in staff_side
    topics = await world.emulator.topics(world.staff_chat_id)
    assert any(MARKUP_NAME in t["name"] for t in topics), topics


# --- a burst -------------------------------------------------------------------------------


async def test_burst_of_fifty_messages_is_kept_and_answered_in_order(world: World) -> None:
    patient = await world.new_patient()
    sent = [f"hello {number}" for number in range(50)]
    started = time.monotonic()
    for text in sent:
        await world.emulator.send_user_message(patient.user_id, text)
    assert time.monotonic() - started < 1.0, "the burst was not within one second"
    replies = await patient._new_replies()
    assert len(replies) >= 50

    rows = await transcript(world, patient)
    assert [m["text"] for m in rows if m["direction"] == "in"] == sent
    # Each message's answers come before the next message is taken: in, out..., in, out...
    directions = "".join("i" if m["direction"] == "in" else "o" for m in rows)
    assert "ii" not in directions and directions.startswith("i") and directions.endswith("o")
    out_ids = [m["telegram_message_id"] for m in rows if m["direction"] == "out"]
    assert out_ids == [r["message_id"] for r in replies]
    await assert_hello_answered(patient)
