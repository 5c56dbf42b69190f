"""Erasure finds what is not keyed by the patient (storage/traces.py): the staff groups' raw
updates and sends about them, their chat's queued updates and messages; nothing else."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from storage import Database, Repository
from storage.durable import DurableStore
from storage.models import InboxUpdate, OutboxMessage, StaffGroupSend
from storage.staff_lanes import StaffLaneStore

USER = 5151
OTHER = 5252
GROUP = -100_111
OTHER_GROUP = -100_222
THREAD = 555


def _in_group(update_id: int, chat_id: int, text: str, thread: int | None = None) -> dict:
    message: dict[str, Any] = {
        "message_id": update_id,
        "chat": {"id": chat_id, "type": "supergroup"},
        "from": {"id": 77, "first_name": "Ravi"},
        "text": text,
    }
    if thread is not None:
        message.update(message_thread_id=thread, is_topic_message=True)
    return {"update_id": update_id, "message": message}


def _press_on_card(update_id: int, card_text: str) -> dict:
    card = {
        "message_id": 556,
        "chat": {"id": GROUP, "type": "supergroup"},
        "message_thread_id": THREAD,
        "text": card_text,
    }
    return {
        "update_id": update_id,
        "callback_query": {"id": "q", "data": "staff:claim:1", "message": card},
    }


async def _payloads(db: Database, table: Any, key: Any) -> dict[int, str]:
    async with db.engine.connect() as connection:
        rows = await connection.execute(sa.select(key, table.payload))
        return {int(row_key): payload for row_key, payload in rows}


async def test_erasure_redacts_the_staff_groups_updates_about_the_patient_only(
    db: Database, repo: Repository
) -> None:
    store = DurableStore(db)
    lanes = StaffLaneStore(db)
    patient = await repo.upsert_patient(USER, USER, "Zorvan Quillby", "en")
    other = await repo.upsert_patient(OTHER, OTHER, "Mira Zorvan", "en")
    case = await repo.open_case(
        patient_id=patient.id, reason="human_request", urgency="normal", summary={}
    )
    await lanes.assign_group(case.id, [GROUP])
    await repo.set_case_topic(case.id, thread_id=THREAD, card_message_id=556)

    stored = {
        # The patient's own chat: deleted.
        1: (USER, {"update_id": 1, "message": {"chat": {"id": USER}, "text": "hello"}}),
        # In the case's topic, handled or not: redacted.
        2: (GROUP, _press_on_card(2, "Case 1001 · Zorvan Quillby")),
        3: (GROUP, _in_group(3, GROUP, "see you tomorrow", THREAD)),
        # The same thread number in another group is another case's topic: kept.
        4: (OTHER_GROUP, _in_group(4, OTHER_GROUP, "see you tomorrow", THREAD)),
        # The whole name or the Telegram id anywhere in a group, handled or not: redacted.
        5: (GROUP, _in_group(5, GROUP, "who has zorvan quillby?")),
        6: (GROUP, {**_in_group(6, GROUP, "fwd"), "forward_from": {"id": USER}}),
        # A word of the name: redacted once handled; not yet handled, left to be handled.
        7: (GROUP, _in_group(7, GROUP, "Quillby called again")),
        8: (GROUP, _in_group(8, GROUP, "Quillby called again")),
        # Another patient's own chat naming this one is theirs: kept.
        9: (OTHER, {"update_id": 9, "message": {"chat": {"id": OTHER}, "text": "Zorvan Quillby"}}),
        # A longer number holding the id is not the id: kept.
        10: (GROUP, _in_group(10, GROUP, f"ticket 9{USER}0")),
    }
    for update_id, (chat_id, payload) in stored.items():
        assert await store.store_update(update_id, chat_id, payload)
    for update_id in (2, 4, 5, 7, 9, 10):
        await store.mark_processed(update_id)
    await store.add_outgoing(1, [(USER, {"kind": "message", "text": "hi Zorvan"})])
    await store.add_outgoing(9, [(OTHER, {"kind": "message", "text": "hi Mira"})])

    report = await repo.erase_patient(USER, first_staff_group=GROUP)

    payloads = await _payloads(db, InboxUpdate, InboxUpdate.update_id)
    assert 1 not in payloads
    redacted = {key for key, text in payloads.items() if json.loads(text) == {"update_id": key}}
    assert redacted == {2, 3, 5, 6, 7}
    assert set(payloads) - redacted == {4, 8, 9, 10}
    assert report.inbox_updates_deleted == 1 and report.staff_updates_redacted == 5
    # A redacted row still marks its update as received: a resend is not handled twice.
    assert not await store.store_update(2, GROUP, _press_on_card(2, "again"))
    outbox = await _payloads(db, OutboxMessage, OutboxMessage.id)
    assert [json.loads(text)["text"] for text in outbox.values()] == ["hi Mira"]
    assert await repo.get_patient_by_id(other.id) is not None


async def test_erasure_deletes_the_staff_groups_sends_about_the_patient_only(
    db: Database, repo: Repository
) -> None:
    lanes = StaffLaneStore(db)
    patient = await repo.upsert_patient(USER, USER, "Zorvan Quillby", "en")
    other = await repo.upsert_patient(OTHER, OTHER, "Mira Zorvan", "en")
    case = await repo.open_case(
        patient_id=patient.id, reason="human_request", urgency="normal", summary={}
    )
    other_case = await repo.open_case(
        patient_id=other.id, reason="human_request", urgency="normal", summary={}
    )
    await lanes.assign_group(case.id, [GROUP])
    await repo.set_case_topic(case.id, thread_id=THREAD, card_message_id=556)

    copy = {"case_id": case.id, "from_chat_id": USER, "message_id": 9}
    sent_copy = await lanes.enqueue(GROUP, 0, "copy", copy, case_id=case.id)
    await lanes.mark_sent(sent_copy)
    ids = {
        "pending copy": await lanes.enqueue(GROUP, 0, "copy", copy, case_id=case.id),
        "reply in topic": await lanes.enqueue(
            GROUP, 0, "say", {"text": "Note kept", "thread_id": THREAD, "reply_to": 3}
        ),
        "same thread elsewhere": await lanes.enqueue(
            OTHER_GROUP, 0, "say", {"text": "ok", "thread_id": THREAD, "reply_to": 3}
        ),
        "another case": await lanes.enqueue(
            GROUP, 0, "say", {"text": "hi", "case_id": other_case.id}, case_id=other_case.id
        ),
        "whole name": await lanes.enqueue(GROUP, 0, "say", {"text": "zorvan QUILLBY left"}),
        "a word, pending": await lanes.enqueue(GROUP, 0, "say", {"text": "Quillby?"}),
    }
    sent_word = await lanes.enqueue(GROUP, 0, "say", {"text": "Quillby?"})
    await lanes.mark_sent(sent_word)

    report = await repo.erase_patient(USER, first_staff_group=GROUP)

    left = set(await _payloads(db, StaffGroupSend, StaffGroupSend.id))
    assert left == {ids["same thread elsewhere"], ids["another case"], ids["a word, pending"]}
    assert report.staff_sends_deleted == 5
