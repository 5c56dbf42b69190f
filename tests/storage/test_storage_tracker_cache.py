"""Kept trackers: handed out again only while the database holds exactly their events."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from storage.tracker import make_tracker_store, tracker_store_arguments
from storage.tracker_cache import StoredTracker, TrackerCache

SENDER = "4242"


def _domain() -> Any:
    from rasa.shared.core.domain import Domain

    return Domain.from_dict({"intents": ["greet", "affirm"], "actions": ["utter_greet"]})


@pytest.fixture
def store(database_url: str) -> Iterator[Any]:
    tracker_store = make_tracker_store(database_url, _domain())
    try:
        yield tracker_store
    finally:
        tracker_store.engine.dispose()


@pytest.fixture
def other_worker(database_url: str, store: Any) -> Iterator[Any]:
    """A second process's store on the same database (created after `store` made the table)."""
    tracker_store = make_tracker_store(database_url, _domain())
    try:
        yield tracker_store
    finally:
        tracker_store.engine.dispose()


def _user(text: str, intent: str = "greet") -> Any:
    from rasa.shared.core.events import UserUttered

    return UserUttered(text, intent={"name": intent, "confidence": 1.0})


def _turn(text: str) -> list[Any]:
    from rasa.shared.core.events import ActionExecuted

    return [_user(text), ActionExecuted("utter_greet"), ActionExecuted("action_listen")]


async def _take_turn(store: Any, text: str, sender_id: str = SENDER) -> Any:
    """What Rasa's processor does with a tracker store in one turn."""
    tracker = await store.get_or_create_tracker(sender_id)
    for event in _turn(text):
        tracker.update(event)
    await store.save(tracker)
    return tracker


def _statements(store: Any) -> list[str]:
    executed: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        executed.append(statement)

    sa.event.listen(store.engine, "before_cursor_execute", record)
    return executed


def _stored_texts(store: Any, sender_id: str = SENDER) -> list[str | None]:
    table = store.SQLEvent.__table__
    with store.engine.connect() as connection:
        rows = connection.execute(
            sa.select(table.c.type_name, table.c.intent_name, table.c.action_name)
            .where(table.c.sender_id == sender_id)
            .order_by(table.c.id)
        ).all()
    return [f"{row.type_name}:{row.intent_name or row.action_name}" for row in rows]


async def test_a_saved_tracker_is_handed_out_again_without_reading_its_events(store: Any) -> None:
    await _take_turn(store, "hello")  # created here: read back once from the database
    second = await _take_turn(store, "hello again")
    executed = _statements(store)

    third = await store.retrieve(SENDER)

    assert third is second
    assert len(executed) == 1 and "max(" in executed[0].lower()
    assert third.latest_message.text == "hello again"

    executed.clear()
    for event in _turn("and once more"):
        third.update(event)
    await store.save(third)
    # Its new rows only: no recount of the conversation (and the new row id, on SQLite).
    assert executed[0].lstrip().upper().startswith("INSERT")
    assert len(executed) <= 2 and not any("count(" in s.lower() for s in executed)


async def test_saving_a_kept_tracker_writes_only_its_new_events_once(
    store: Any, database_url: str
) -> None:
    from rasa.core.tracker_store import SQLTrackerStore

    for text in ("one", "two", "three"):
        await _take_turn(store, text)
    plain = SQLTrackerStore(domain=_domain(), **tracker_store_arguments(database_url))
    try:
        for text in ("one", "two", "three"):
            await _take_turn(plain, text, sender_id="plain")
    finally:
        plain.engine.dispose()

    assert _stored_texts(store) == _stored_texts(store, "plain")
    assert _stored_texts(store).count("user:greet") == 3


async def test_another_workers_turn_is_read_back(store: Any, other_worker: Any) -> None:
    await _take_turn(store, "hello")
    kept = await _take_turn(store, "on this worker")
    await _take_turn(other_worker, "on the other worker")
    executed = _statements(store)

    tracker = await store.retrieve(SENDER)

    assert tracker.latest_message.text == "on the other worker"
    # Caught up: only the other worker's rows were read, and applied to the kept tracker.
    assert tracker is kept
    assert len(executed) == 2 and "id >=" in executed[1].lower()
    store.cache.forget(SENDER)
    rebuilt = await store.retrieve(SENDER)
    assert rebuilt is not kept
    assert [e.as_dict() for e in rebuilt.events] == [e.as_dict() for e in tracker.events]
    assert rebuilt.current_state() == tracker.current_state()
    await _take_turn(store, "back here")
    assert _stored_texts(store).count("user:greet") == 4


async def test_turns_alternating_between_two_workers_store_what_one_worker_would(
    store: Any, other_worker: Any, database_url: str
) -> None:
    """Round robin behind a proxy: each worker catches up on the other's turn every time."""
    for n in range(6):
        await _take_turn(store if n % 2 == 0 else other_worker, f"turn {n}")
    alone = make_tracker_store(database_url, _domain())
    try:
        for n in range(6):
            await _take_turn(alone, f"turn {n}", sender_id="alone")
    finally:
        alone.engine.dispose()
    assert _stored_texts(store) == _stored_texts(store, "alone")
    tracker = await store.retrieve(SENDER)
    assert [e.text for e in tracker.events if getattr(e, "text", None)] == [
        f"turn {n}" for n in range(6)
    ]


async def test_an_erased_conversation_is_not_handed_out(store: Any, other_worker: Any) -> None:
    await _take_turn(store, "hello")
    await _take_turn(store, "my details")
    table = store.SQLEvent.__table__
    with other_worker.engine.begin() as connection:
        connection.execute(table.delete().where(table.c.sender_id == SENDER))

    assert await store.retrieve(SENDER) is None

    await _take_turn(other_worker, "a new start")
    await _take_turn(other_worker, "and more")
    tracker = await store.retrieve(SENDER)
    assert [e.text for e in tracker.events if hasattr(e, "text") and e.text] == [
        "a new start",
        "and more",
    ]


async def test_a_tracker_changed_but_never_saved_is_read_back(store: Any) -> None:
    await _take_turn(store, "hello")
    tracker = await _take_turn(store, "saved")
    tracker.update(_user("lost in a failed turn"))

    again = await store.retrieve(SENDER)

    assert again is not tracker
    assert again.latest_message.text == "saved"


async def test_a_new_session_is_stored_once_and_read_back_from_its_start(store: Any) -> None:
    from rasa.shared.core.events import ActionExecuted, SessionStarted

    await _take_turn(store, "hello")
    tracker = await store.retrieve(SENDER)
    for event in [ActionExecuted("action_session_start"), SessionStarted(), *_turn("next day")]:
        tracker.update(event)
    await store.save(tracker)
    rows_after_new_session = len(_stored_texts(store))

    again = await store.retrieve(SENDER)

    assert again is not tracker  # it still holds the earlier session's events
    assert not any(e.text == "hello" for e in again.events if hasattr(e, "text"))
    await _take_turn(store, "later that day")
    assert len(_stored_texts(store)) == rows_after_new_session + 3


def test_the_cache_keeps_the_most_recently_used_conversations() -> None:
    from rasa.shared.core.trackers import DialogueStateTracker

    cache = TrackerCache(size=2)
    trackers = {s: DialogueStateTracker(s, []) for s in "abc"}
    for sender, tracker in trackers.items():
        cache.remember(sender, StoredTracker(tracker, 0, 1, True))
        if sender == "b":
            assert cache.reusable("a", 1) is trackers["a"]  # "a" used: "b" is now oldest

    assert len(cache) == 2
    assert cache.reusable("b", 1) is None
    assert cache.reusable("a", 1) is trackers["a"]
    assert cache.reusable("c", 2) is None  # the conversation moved on elsewhere
