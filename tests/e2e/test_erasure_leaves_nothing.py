"""/delete leaves nothing in our database that names or identifies the patient.

A patient with a unique name and unique words goes the whole way: a second-opinion request,
five consents, a handoff, a take-over, messages both ways, a staff /note that names them, a
staff message in the group's General topic that names them; then /delete. Every column of
every table the database lists (a new table is searched without anyone adding it here) is
searched for the name, the words and the Telegram id. Only a consent record may remain, and
it holds the pseudonym, not the person.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bot.content import message
from storage.db import sync_url
from tests.e2e.conftest import start_world, stop_world
from tests.e2e.harness import Patient, World, button_labels, joined, texts
from tests.e2e.test_staff_takeover import _press_card
from tests.pg import fresh_database

FIRST, LAST = "Zorvanekka", "Quillimontez"
# Words only this patient types, and only this case's staff write.
PATIENT_WORDS = ("flumbrickosis", "snarveloting")
STAFF_WORD = "plonkwistler"
NOTE_WORD = "gribbletonia"
# The only table a hit may be in: consent evidence, kept under the pseudonym.
ALLOWED_TABLES = {"consent_records"}


async def _consent_and_hand_over(patient: Patient) -> str:
    """A second-opinion request in the patient's words, the five clauses, the handoff."""
    await patient.send(
        f"I want a second opinion from a US specialist, my {PATIENT_WORDS[0]} surgery is risky"
    )
    for _ in range(10):
        last = patient.history[-1]
        if "Consent 1 of 5" in (last.get("plain_text") or ""):
            break
        labels = button_labels(last)
        await patient.press("Continue" if "Continue" in labels else "Yes")
    else:
        raise AssertionError(f"never reached the consent: {joined(patient.history[-3:])}")
    done: list[dict[str, Any]] = []
    for _ in range(5):
        done = await patient.press("I agree")
    handoff = [t for t in texts(done) if "Your case" in t]
    assert handoff, texts(done)
    return handoff[0].split("Your case")[1].split()[0].strip(".,;")


def _text_of(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (bytes, memoryview)):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, datetime):
        return ""
    return str(value)


def find_traces(url: str, telegram_id: int, words: tuple[str, ...]) -> list[str]:
    """Every (table, column, what) where a word (any case) or the Telegram id (a whole
    number, also inside JSON) is found; the tables are the database's own list."""
    wanted = [re.compile(re.escape(word), re.IGNORECASE) for word in words]
    wanted.append(re.compile(rf"(?<![0-9]){telegram_id}(?![0-9])"))
    engine = sa.create_engine(sync_url(url))
    hits: list[str] = []
    try:
        with engine.connect() as connection:
            tables = sa.inspect(connection).get_table_names()
            assert {"patients", "inbox_updates", "events"} <= set(tables), tables
            for table in tables:
                rows = connection.execute(sa.text(f'SELECT * FROM "{table}"')).mappings()
                for row in rows:
                    for column, value in row.items():
                        text = _text_of(value)
                        for pattern in wanted:
                            if pattern.search(text):
                                hits.append(f"{table}.{column}: {pattern.pattern}")
    finally:
        engine.dispose()
    return sorted(set(hits))


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_delete_leaves_nothing_that_names_or_identifies_the_patient(
    backend: str, tmp_path: Path
) -> None:
    url = (
        fresh_database("triage_e2e_erasure")
        if backend == "postgresql"
        else f"sqlite:///{tmp_path / 'e2e.db'}"
    )
    world: World = await start_world(tmp_path, url)
    try:
        holder = world.staff_ids[0]
        patient = await world.new_patient(FIRST, LAST)
        reference = await _consent_and_hand_over(patient)
        topics = await world.emulator.topics(world.staff_chat_id)
        topic = [t for t in topics if t["name"].startswith(f"{reference} · {FIRST} {LAST}")]
        assert topic, topics
        thread = topic[0]["message_thread_id"]

        taken = await _press_card(world, thread, "Take over", holder)
        assert "has taken over" in (taken.get("text") or ""), taken
        await world.idle()
        patient.seen = len(await patient.messages())

        # Both ways: the patient's words into the topic, the holder's (naming them) back.
        assert await patient.send(f"the {PATIENT_WORDS[1]} is swollen again") == []
        await world.emulator.send_user_message(
            holder,
            f"{FIRST}, tell me more about the {STAFF_WORD}",
            chat_id=world.staff_chat_id,
            thread_id=thread,
        )
        await world.idle()
        await world.emulator.send_user_message(
            holder,
            f"/note {FIRST} {LAST} mentioned {NOTE_WORD} twice",
            chat_id=world.staff_chat_id,
            thread_id=thread,
        )
        await world.idle()
        # Outside the topic too: in the group's General topic, by name.
        await world.emulator.send_user_message(
            holder, f"who else has seen {FIRST} {LAST}?", chat_id=world.staff_chat_id
        )
        await world.idle()
        relayed = joined((await patient.messages())[patient.seen :])
        assert STAFF_WORD in relayed, relayed
        patient.seen = len(await patient.messages())

        words = (FIRST, LAST, *PATIENT_WORDS, STAFF_WORD, NOTE_WORD)
        before = find_traces(url, patient.user_id, words)
        # The search finds what is there: the same search before erasure sees it all.
        for table in ("patients", "transcript_messages", "inbox_updates", "events"):
            assert any(hit.startswith(f"{table}.") for hit in before), (table, before)

        await patient.send("/delete")
        erased = await patient.press(message("delete_confirm_button"))
        assert joined(erased) == message("delete_done")
        await world.idle()

        left = [
            hit
            for hit in find_traces(url, patient.user_id, words)
            if hit.split(".")[0] not in ALLOWED_TABLES
        ]
        assert left == [], "\n".join(left)

        repository = world.runtime.repository
        assert repository is not None
        pseudonym = repository.pseudonym_for(patient.user_id)
        kept = await repository.consent_history_by_pseudonym(pseudonym)
        assert [r.decision for r in kept] == ["agreed"] * 5, "the consent evidence stays"
    finally:
        await stop_world(world)
