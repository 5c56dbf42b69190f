"""Patients and the transcript: both directions, relay links, edits."""

from __future__ import annotations

import sqlalchemy as sa

from storage import Database, Repository
from storage.refs import IncomingRecord

PATIENT_CHAT = 800
STAFF_GROUP = -1001234567890  # supergroup ids exceed 32 bits


async def test_upsert_patient_creates_then_updates(repo: Repository) -> None:
    created = await repo.upsert_patient(800, PATIENT_CHAT, "Asha", "hi")
    updated = await repo.upsert_patient(800, PATIENT_CHAT, "Asha R", None)
    assert updated.id == created.id
    assert updated.display_name == "Asha R"
    assert updated.language_code == "hi"  # an unknown language does not erase a known one
    assert updated.pseudonym == repo.pseudonym_for(800)
    assert await repo.get_patient(800) == updated
    assert await repo.get_patient(801) is None
    assert await repo.get_patient_by_id(created.id) == updated
    assert await repo.get_patient_by_id(created.id + 1) is None


async def test_blocking_a_patient(repo: Repository) -> None:
    await repo.upsert_patient(800, PATIENT_CHAT, "Asha", None)
    await repo.set_patient_blocked(800, True)
    assert (await repo.get_patient(800)).blocked
    await repo.set_patient_blocked(800, False)
    assert not (await repo.get_patient(800)).blocked


async def test_transcript_in_both_directions_with_relay_links(repo: Repository) -> None:
    patient = await repo.upsert_patient(800, PATIENT_CHAT, "Asha", None)
    staff = await repo.upsert_staff(900, "Ravi")
    case = await repo.open_case(
        patient_id=patient.id, reason="human_request", urgency="normal", summary={}
    )
    await repo.record_message(
        patient_id=patient.id,
        direction="in",
        author="patient",
        text="is anyone there?",
        chat_id=PATIENT_CHAT,
        telegram_message_id=51,
        relayed_message_id=7001,
        relayed_chat_id=STAFF_GROUP,
    )
    await repo.record_message(
        patient_id=patient.id,
        direction="out",
        author="staff",
        text="Hello Asha, I am Ravi.",
        chat_id=PATIENT_CHAT,
        telegram_message_id=52,
        staff_member_id=staff.id,
        relayed_message_id=7002,
        relayed_chat_id=STAFF_GROUP,
    )
    await repo.record_message(
        patient_id=patient.id,
        direction="in",
        author="patient",
        text=None,
        chat_id=PATIENT_CHAT,
        telegram_message_id=53,
        media_type="photo",
        file_id="AgAC-file",
    )
    messages = await repo.last_messages(patient.id, limit=2)
    assert [message.telegram_message_id for message in messages] == [52, 53]  # oldest first
    assert messages[0].author == "staff" and messages[0].staff_member_id == staff.id
    assert (messages[1].media_type, messages[1].file_id, messages[1].text) == (
        "photo",
        "AgAC-file",
        None,
    )
    assert all(message.case_id == case.id for message in messages)

    # A staff reply to the copy 7001 in the topic finds the patient's original 51...
    original = await repo.find_by_relayed(7001, STAFF_GROUP)
    assert (original.chat_id, original.telegram_message_id) == (PATIENT_CHAT, 51)
    # ...and a patient's reply to 52 finds the staff message 7002 it copies.
    copy = await repo.find_message(PATIENT_CHAT, 52)
    assert (copy.relayed_chat_id, copy.relayed_message_id) == (STAFF_GROUP, 7002)
    assert await repo.find_message(PATIENT_CHAT, 999) is None


async def test_an_edit_updates_the_stored_text(repo: Repository) -> None:
    patient = await repo.upsert_patient(800, PATIENT_CHAT, "Asha", None)
    await repo.record_message(
        patient_id=patient.id,
        direction="in",
        author="patient",
        text="my nose hurst",
        chat_id=PATIENT_CHAT,
        telegram_message_id=60,
    )
    edited = await repo.edit_message_text(PATIENT_CHAT, 60, "my nose hurts")
    assert edited.text == "my nose hurts" and edited.edited_at is not None
    assert edited.case_id is None  # no case was open
    assert await repo.edit_message_text(PATIENT_CHAT, 61, "x") is None


async def test_a_relay_link_added_after_the_copy_is_made(repo: Repository) -> None:
    patient = await repo.upsert_patient(800, PATIENT_CHAT, "Asha", None)
    await repo.record_message(
        patient_id=patient.id,
        direction="in",
        author="patient",
        text="hello?",
        chat_id=PATIENT_CHAT,
        telegram_message_id=70,
    )
    assert await repo.find_by_relayed(9001, STAFF_GROUP) is None
    assert await repo.link_relay(PATIENT_CHAT, 70, STAFF_GROUP, 9001)
    linked = await repo.find_by_relayed(9001, STAFF_GROUP)
    assert (linked.chat_id, linked.telegram_message_id, linked.text) == (PATIENT_CHAT, 70, "hello?")
    assert not await repo.link_relay(PATIENT_CHAT, 71, STAFF_GROUP, 9002)


async def test_a_patients_turn_begins_in_one_transaction(repo: Repository, db: Database) -> None:
    commits: list[int] = []
    sa.event.listen(db.engine.sync_engine, "commit", lambda _connection: commits.append(1))

    first = await repo.begin_patient_turn(800, PATIENT_CHAT, "Asha", "hi", _typed("hello", 51))

    assert len(commits) == 1
    assert first.open_case is None and first.patient.display_name == "Asha"
    case = await repo.open_case(
        patient_id=first.patient.id, reason="human_request", urgency="normal", summary={}
    )
    second = await repo.begin_patient_turn(800, PATIENT_CHAT, "Asha R", None, _typed("more", 52))
    assert second.open_case is not None and second.open_case.id == case.id
    assert second.patient.id == first.patient.id
    assert (second.patient.display_name, second.patient.language_code) == ("Asha R", "hi")


async def test_a_message_handled_again_is_kept_once_and_button_presses_each_time(
    repo: Repository,
) -> None:
    turn = await repo.begin_patient_turn(800, PATIENT_CHAT, "Asha", None, _typed("hello", 51))
    await repo.begin_patient_turn(800, PATIENT_CHAT, "Asha", None, _typed("hello", 51))
    press = IncomingRecord("/agree", PATIENT_CHAT, None, media_type="button")
    await repo.begin_patient_turn(800, PATIENT_CHAT, "Asha", None, press)
    await repo.begin_patient_turn(800, PATIENT_CHAT, "Asha", None, press)

    messages = await repo.last_messages(turn.patient.id, limit=10)
    assert [(m.text, m.media_type) for m in messages] == [
        ("hello", None),
        ("/agree", "button"),
        ("/agree", "button"),
    ]
    assert all(m.direction == "in" and m.author == "patient" for m in messages)


def _typed(text: str, message_id: int) -> IncomingRecord:
    return IncomingRecord(text, PATIENT_CHAT, message_id)
