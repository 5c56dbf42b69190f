"""Staff tools through the emulator (issue 13, point 4): canned replies, private notes, the
patient leaving a handoff, a deleted topic recovered, /stats, a red flag's urgent marker."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from typing import Any

import pytest
import pytest_asyncio
import sqlalchemy as sa

from bot.content import message, tool_message
from staff.canned import shipped_replies
from storage.models import AuditEvent, Case, TranscriptMessage
from tests.e2e.conftest import STRANGER_ID, start_world, stop_world
from tests.e2e.harness import Patient, World, button_labels, joined, texts
from tests.e2e.test_staff_takeover import PNG, _card, _hand_over, _press_card

LIMIT = 4096


@pytest_asyncio.fixture(scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    """A world of its own: these tests put many messages in the staff group, whose sending
    budget (about 20 a minute, shared by its topics) the session's world keeps for others."""
    started = await start_world(tmp_path_factory.mktemp("staff_tools"))
    yield started
    await stop_world(started)


async def _say(world: World, user_id: int, text: str, thread: int | None, **kw: Any) -> dict:
    sent = await world.emulator.send_user_message(
        user_id, text, chat_id=world.staff_chat_id, thread_id=thread, **kw
    )
    await world.idle()
    return sent


async def _topic_texts(world: World, thread: int) -> list[str]:
    return texts(await world.emulator.bot_messages(world.staff_chat_id, thread_id=thread))


async def _new_to_patient(patient: Patient) -> list[dict[str, Any]]:
    everything = await patient.messages()
    fresh = everything[patient.seen :]
    patient.seen = len(everything)
    return fresh


async def _taken_over(world: World, name: str) -> tuple[Patient, str, int]:
    first, last = name.split()
    patient = await world.new_patient(first, last)
    reference, topic = await _hand_over(world, patient, name)
    thread = topic["message_thread_id"]
    await _press_card(world, thread, "Take over", world.staff_ids[0])
    await world.idle()
    patient.seen = len(await patient.messages())
    return patient, reference, thread


async def _rows(world: World, query: Any) -> list[Any]:
    repository = world.runtime.repository
    assert repository is not None
    async with repository.database.session() as session:
        return list((await session.execute(query)).all())


async def test_canned_replies_list_send_save_and_bad_input(world: World) -> None:
    ravi, meera = world.staff_ids
    patient, reference, thread = await _taken_over(world, "Canned Patient")

    await _say(world, ravi, "/canned", thread)
    listing = (await _topic_texts(world, thread))[-1]
    assert "Canned replies" in listing and "greeting" in listing and "timeline" in listing

    # Only the holder may send one, as for typed messages; nothing reaches the patient.
    await _say(world, meera, "/reply greeting", thread)
    assert f"Take over case {reference} first" in (await _topic_texts(world, thread))[-1]
    # An unknown name: a clear answer with the close names.
    await _say(world, ravi, "/reply greting", thread)
    answer = (await _topic_texts(world, thread))[-1]
    assert "no canned reply called “greting”" in answer and "Did you mean: greeting" in answer
    await _say(world, ravi, "/reply", thread)
    assert "/reply NAME" in (await _topic_texts(world, thread))[-1]
    assert await _new_to_patient(patient) == []

    await _say(world, ravi, "/reply greeting", thread)
    sent = await _new_to_patient(patient)
    assert len(sent) == 1
    assert sent[0]["plain_text"].startswith("Ravi Care (care team):")
    assert "I will look after your case from here" in sent[0]["plain_text"]
    assert "Canned reply “greeting” sent" in (await _topic_texts(world, thread))[-1]
    rows = await _rows(
        world,
        sa.select(TranscriptMessage.author, TranscriptMessage.text).where(
            TranscriptMessage.case_id == int(reference) - 1000,
            TranscriptMessage.author == "staff",
        ),
    )
    assert any("look after your case" in (text or "") for _, text in rows)

    # /save: own message (written in General), a bad name, a shipped name, no reply.
    long_text = ("Our fees depend on the specialist. " * 200)[:LIMIT]
    own = await _say(world, ravi, long_text, None)
    await _say(world, ravi, "/save Bad!Name", None, reply_to_message_id=own["message_id"])
    assert (
        "cannot be a canned reply name"
        in texts(await world.emulator.bot_messages(world.staff_chat_id))[-1]
    )
    await _say(world, ravi, "/save greeting", None, reply_to_message_id=own["message_id"])
    assert (
        "service's own canned replies"
        in texts(await world.emulator.bot_messages(world.staff_chat_id))[-1]
    )
    await _say(world, ravi, "/save fees", None)
    assert (
        "to a message you wrote yourself"
        in texts(await world.emulator.bot_messages(world.staff_chat_id))[-1]
    )
    await _say(world, meera, "/save fees", None, reply_to_message_id=own["message_id"])
    assert (
        "to a message you wrote yourself"
        in texts(await world.emulator.bot_messages(world.staff_chat_id))[-1]
    )
    await _say(world, ravi, "/save fees", None, reply_to_message_id=own["message_id"])
    assert (
        "Saved canned reply “fees”"
        in texts(await world.emulator.bot_messages(world.staff_chat_id))[-1]
    )
    audits = await _rows(
        world,
        sa.select(AuditEvent.action, AuditEvent.target).where(AuditEvent.action == "canned.save"),
    )
    assert ("canned.save", "canned:fees") in audits

    # 4,096 characters and the holder's name exceed one message: sent in two parts.
    await _say(world, ravi, "/canned", thread)
    assert "fees" in (await _topic_texts(world, thread))[-1]
    await _say(world, ravi, "/reply fees", thread)
    parts = await _new_to_patient(patient)
    assert len(parts) == 2, texts(parts)
    assert all(len(p["plain_text"]) <= LIMIT for p in parts)
    assert all(p["plain_text"].startswith("Ravi Care (care team):") for p in parts)
    body = " ".join(p["plain_text"].split("\n", 1)[1] for p in parts)
    assert " ".join(body.split()) == " ".join(long_text.split())
    assert "in 2 messages" in (await _topic_texts(world, thread))[-1]

    # The same holds for a full-length message the holder types in the topic.
    await _say(world, ravi, long_text, thread)
    typed = await _new_to_patient(patient)
    assert len(typed) == 2 and all(len(p["plain_text"]) <= LIMIT for p in typed)


async def test_private_notes_stay_among_staff(world: World) -> None:
    ravi, meera = world.staff_ids
    patient, reference, thread = await _taken_over(world, "Noted Patient")

    # Any staff member may note, holder or not; nothing reaches the patient.
    await _say(world, meera, "/note sounds anxious, call back Monday", thread)
    assert f"Note kept with case {reference}" in (await _topic_texts(world, thread))[-1]
    await world.emulator.send_user_message(
        ravi,
        chat_id=world.staff_chat_id,
        thread_id=thread,
        media="photo",
        content=PNG,
        caption="/note scan from the clinic",
    )
    await world.idle()
    assert f"Note kept with case {reference}" in (await _topic_texts(world, thread))[-1]
    assert await _new_to_patient(patient) == []

    # Bad input: no text, and outside a case topic.
    await _say(world, ravi, "/note", thread)
    assert "Write your note after the command" in (await _topic_texts(world, thread))[-1]
    await _say(world, ravi, "/note in the general topic", None)
    general = texts(await world.emulator.bot_messages(world.staff_chat_id))[-1]
    assert "works in a case's topic only" in general

    notes = await _rows(
        world,
        sa.select(TranscriptMessage.text, TranscriptMessage.media_type).where(
            TranscriptMessage.case_id == int(reference) - 1000,
            TranscriptMessage.author == "note",
        ),
    )
    assert notes == [("sounds anxious, call back Monday", None), ("scan from the clinic", "photo")]

    # The patient's /mydata holds the notes about them, marked as notes.
    exported = await patient.send("/mydata")
    documents = [r for r in exported if r["kind"] == "document"]
    assert len(documents) == 1
    data = json.loads(await world.emulator.file_bytes(documents[0]["file_id"]))
    marked = [m for m in data["messages"] if m["author"] == "note"]
    assert [m["text"] for m in marked] == [
        "sounds anxious, call back Monday",
        "scan from the clinic",
    ]
    assert all("not sent to you" in m["staff_note"] for m in marked)


async def test_the_patient_can_always_leave_a_handoff(world: World) -> None:
    ravi = world.staff_ids[0]
    patient = await world.new_patient("Leaving", "Patient")
    assert "already talking with the assistant" in joined(await patient.send("/bot"))

    # Waiting in the queue: /bot takes them back, staff are told, the card says so.
    reference, topic = await _hand_over(world, patient, "Leaving Patient")
    thread = topic["message_thread_id"]
    back = await patient.send("/bot")
    assert "back with the assistant" in joined(back)
    assert any("went back to the assistant" in t for t in await _topic_texts(world, thread))
    assert "with the assistant" in (await _card(world, thread))["plain_text"]

    # Asked again: the same case; taken over, the patient gets the button with the notice.
    again = await patient.send("I want to talk to a human please")
    assert reference in joined(again)
    await _press_card(world, thread, "Take over", ravi)
    await world.idle()
    joined_notice = (await _new_to_patient(patient))[-1]
    assert "has joined the conversation" in joined_notice["plain_text"]
    assert tool_message("leave.button") in button_labels(joined_notice)

    # Held: /start, /help, /privacy and /mydata still answer; the dialogue stays quiet.
    for command in ("/start", "/help"):
        assert message("with_staff_notice") in joined(await patient.send(command))
    assert "Your privacy" in joined(await patient.send("/privacy"))
    assert [r["kind"] for r in await patient.send("/mydata")] == ["document"]
    assert message("delete_confirm_button") in button_labels((await patient.send("/delete"))[-1])
    assert joined(await patient.press(message("delete_cancel_button"))) == message(
        "delete_cancelled"
    )

    # The button: back to the assistant, staff told, the staff member no longer relays.
    pressed = await patient.press(tool_message("leave.button"))
    assert "back with the assistant" in joined(pressed)
    assert sum("went back to the assistant" in t for t in await _topic_texts(world, thread)) == 2
    await _say(world, ravi, "are you still there?", thread)
    assert "not held by anyone" in (await _topic_texts(world, thread))[-1]
    assert await _new_to_patient(patient) == []
    assert await patient.send("hello"), "the assistant answers again"
    # The pressed button is gone from the notice: it cannot be pressed twice.
    notices = [
        m for m in await patient.messages() if m["message_id"] == joined_notice["message_id"]
    ]
    assert button_labels(notices[0]) == []
    cases = await _rows(world, sa.select(Case.status).where(Case.id == int(reference) - 1000))
    assert cases == [("bot",)]
    left = await _rows(
        world,
        sa.select(AuditEvent.id).where(
            AuditEvent.action == "case.patient_left",
            AuditEvent.target == f"case:{int(reference) - 1000}",
        ),
    )
    assert len(left) == 2


async def test_a_deleted_topic_is_replaced_and_nothing_is_lost(world: World) -> None:
    ravi = world.staff_ids[0]
    patient, reference, thread = await _taken_over(world, "Topic Patient")
    await patient.send("my first question")
    case_id = int(reference) - 1000

    threads = [thread]
    # TOPIC_DELETED while the Bot API server's cache holds it; then "message thread not found".
    for stale_seconds, words in ((30.0, "are you there?"), (0.0, "hello again")):
        await world.emulator.delete_topic(
            world.staff_chat_id, threads[-1], stale_seconds=stale_seconds
        )
        assert await patient.send(words) == []
        [(new_thread,)] = await _rows(world, sa.select(Case.thread_id).where(Case.id == case_id))
        assert new_thread not in threads
        threads.append(new_thread)
        in_topic = await world.emulator.bot_messages(world.staff_chat_id, thread_id=new_thread)
        assert button_labels(in_topic[0]), "the card comes first"
        assert words in texts(in_topic)  # the message that failed, sent again
        transcript = [t for t in texts(in_topic) if "its topic was deleted or closed" in t]
        assert len(transcript) == 1 and "my first question" in transcript[0]
        assert all(len(t) <= LIMIT for t in texts(in_topic))
    names = [t["name"] for t in await world.emulator.topics(world.staff_chat_id)]
    assert sum(name.startswith(f"{reference} · ") for name in names) == 1

    # The staff member goes on in the new topic.
    await _say(world, ravi, "Sorry, our topic was lost. I am here.", threads[-1])
    assert "I am here" in joined(await _new_to_patient(patient))


async def test_stats_for_staff_and_silence_for_others(world: World) -> None:
    ravi = world.staff_ids[0]
    patient, _, thread = await _taken_over(world, "Stats Patient")
    await _say(world, ravi, "Hello from the care team", thread)
    await _press_card(world, thread, "Close", ravi)
    await world.idle()
    await patient.press("5")

    await _say(world, ravi, "/stats", None)
    figures = texts(await world.emulator.bot_messages(world.staff_chat_id))[-1]
    assert "Service figures" in figures and "Today" in figures and "Last 7 days" in figures
    today = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    [(opened_today,)] = await _rows(
        world, sa.select(sa.func.count(Case.id)).where(Case.opened_at >= today)
    )
    assert f"Cases opened: {opened_today}" in figures.split("Last 7 days")[0]
    assert "median" in figures and "p90" in figures and "5★" in figures

    # In a case's topic the case's own figures are added.
    other, other_reference, other_thread = await _taken_over(world, "Stats Other")
    await _say(world, ravi, "/stats", other_thread)
    assert f"Case {other_reference}" in (await _topic_texts(world, other_thread))[-1]

    # A stranger gets nothing at all, and the attempt is audited.
    before = len(await world.emulator.bot_messages(STRANGER_ID))
    await world.emulator.send_user_message(STRANGER_ID, "/stats")
    await world.idle()
    assert len(await world.emulator.bot_messages(STRANGER_ID)) == before
    refused = await _rows(
        world, sa.select(AuditEvent.actor_type).where(AuditEvent.action == "refused_stats")
    )
    assert refused and refused[-1] == ("stranger",)
    del other


async def test_a_red_flag_in_a_held_case_marks_the_topic_urgent(world: World) -> None:
    patient, reference, thread = await _taken_over(world, "Urgent Held")
    guidance = await patient.send("I have crushing chest pain right now")
    assert "112" in joined(guidance)
    in_topic = await _topic_texts(world, thread)
    assert any("may be describing an emergency" in t for t in in_topic)
    assert message("staff.urgent_badge") in (await _card(world, thread))["plain_text"]
    [topic] = [
        t
        for t in await world.emulator.topics(world.staff_chat_id)
        if t["message_thread_id"] == thread
    ]
    assert topic["name"].startswith("🚨 " + reference)


async def test_a_closed_topic_is_replaced_even_through_a_flood_wait(world: World) -> None:
    """TOPIC_CLOSED (Telegram's answer once the bot may no longer post in a topic a person
    closed), then a 429 on the new topic's card: the card comes with the announcement, and
    the patient's message still arrives in the new topic."""
    patient, reference, thread = await _taken_over(world, "Closed Topic")
    case_id = int(reference) - 1000
    # The emulator, as Telegram, lets a topic's creator post in it closed: Telegram's answer
    # for a bot without that right is injected.
    await world.emulator.fail_next(
        "copyMessage", status=400, description="Bad Request: TOPIC_CLOSED"
    )
    await world.emulator.fail_next("sendMessage", status=429, retry_after=1)
    assert await patient.send("is the topic still there?") == []
    [(new_thread,)] = await _rows(world, sa.select(Case.thread_id).where(Case.id == case_id))
    assert new_thread != thread
    in_topic = await world.emulator.bot_messages(world.staff_chat_id, thread_id=new_thread)
    assert "is the topic still there?" in texts(in_topic)
    assert sum(bool(button_labels(m)) for m in in_topic) == 1, "one card, with its buttons"
    assert any("its topic was deleted or closed" in t for t in texts(in_topic))
    cards = await world.emulator.api_calls("sendMessage")
    assert any(c["status"] == 429 for c in cards), "the flood wait happened"


async def test_a_hindi_patient_gets_the_hindi_canned_reply(world: World) -> None:
    """The service's reply in its Hindi; a saved one's Hindi saved as NAME-hi; the staff's
    own words relayed unchanged, under a Hindi "(care team)"."""
    ravi = world.staff_ids[0]
    patient, _, thread = await _taken_over(world, "Hindi Canned")
    await patient.send("/language")
    chosen = await patient.press("हिन्दी")
    assert "हिन्दी" in joined(chosen)

    await _say(world, ravi, "/reply greeting", thread)
    (greeting,) = await _new_to_patient(patient)
    hindi_greeting = shipped_replies("hi")["greeting"]
    assert greeting["plain_text"] == f"Ravi Care (केयर टीम):\n{hindi_greeting}"

    english = await _say(world, ravi, "Our fees are on the website.", None)
    await _say(world, ravi, "/save fees2", None, reply_to_message_id=english["message_id"])
    await _say(world, ravi, "/reply fees2", thread)
    (fees,) = await _new_to_patient(patient)
    assert fees["plain_text"].endswith("Our fees are on the website.")  # no Hindi yet
    hindi = await _say(world, ravi, "फ़ीस की जानकारी वेबसाइट पर है।", None)
    await _say(world, ravi, "/save fees2-hi", None, reply_to_message_id=hindi["message_id"])
    await _say(world, ravi, "/reply fees2", thread)
    (fees,) = await _new_to_patient(patient)
    assert fees["plain_text"].endswith("फ़ीस की जानकारी वेबसाइट पर है।")

    await _say(world, ravi, "Please send your reports.", thread)
    (relayed,) = await _new_to_patient(patient)
    assert relayed["plain_text"] == "Ravi Care (केयर टीम):\nPlease send your reports."
