"""Rasa's SQLTrackerStore shares our database without either side breaking the other."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from storage import Database, Repository, downgrade, migrate, sync_url
from storage.migrations.env_filters import include_object
from storage.models import Base
from storage.tracker import make_tracker_store


def _tracker_store(url: str):  # type: ignore[no-untyped-def]
    from rasa.shared.core.domain import Domain

    return make_tracker_store(url, Domain.from_dict({"intents": ["greet"]}))


async def _save_tracker(store, sender_id: str) -> None:  # type: ignore[no-untyped-def]
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker = DialogueStateTracker.from_events(
        sender_id,
        [
            ActionExecuted("action_listen"),
            UserUttered("hello", intent={"name": "greet", "confidence": 1.0}),
        ],
    )
    await store.save(tracker)


def _tables(url: str) -> set[str]:
    engine = sa.create_engine(sync_url(url))
    try:
        with engine.connect() as connection:
            return set(sa.inspect(connection).get_table_names())
    finally:
        engine.dispose()


async def test_tracker_saved_and_retrieved_beside_our_tables(migrated_url: str) -> None:
    store = _tracker_store(migrated_url)
    try:
        await _save_tracker(store, "4242")
        tracker = await store.retrieve("4242")
        assert tracker is not None
        assert tracker.latest_message.text == "hello"
        assert "4242" in list(await store.keys())
    finally:
        store.engine.dispose()
    assert {"events", "patients", "consent_records"} <= _tables(migrated_url)


async def test_our_migrations_leave_rasa_events_alone(database_url: str) -> None:
    store = _tracker_store(database_url)  # Rasa first, on an empty database
    try:
        await _save_tracker(store, "1")
        migrate(database_url)
        assert _differences(database_url) == []  # `events` is not ours: not reported
        downgrade(database_url, "base")
        assert _tables(database_url) == {"events", "alembic_version"}
        migrate(database_url)
        assert (await store.retrieve("1")).latest_message.text == "hello"
    finally:
        store.engine.dispose()


async def test_erasure_deletes_the_patients_tracker(
    migrated_url: str, db: Database, repo: Repository
) -> None:
    store = _tracker_store(migrated_url)
    try:
        await repo.upsert_patient(4242, 4242, "Asha", None)
        await _save_tracker(store, "4242")
        await _save_tracker(store, "5353")
        report = await repo.erase_patient(4242)
        assert report.tracker_events_deleted == 2
        assert await store.retrieve("4242") is None
        assert await store.retrieve("5353") is not None
    finally:
        store.engine.dispose()


def _differences(url: str) -> list[object]:
    engine = sa.create_engine(sync_url(url))
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "include_object": include_object}
            )
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
