"""Rasa's SQLTrackerStore on our database, built from our URL.

Rasa creates its own `events` table (with its sync engine); our migrations never touch it.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker

from storage.db import POOL_OPTIONS, sync_url
from storage.tracker_cache import TRACKER_CACHE_SIZE, StoredTracker, TrackerCache

if TYPE_CHECKING:
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain


SQLITE_BUSY_TIMEOUT_MS = 30_000
T = TypeVar("T")


def tracker_store_arguments(url: str) -> dict[str, object]:
    """SQLTrackerStore's keyword arguments for the database at `url`."""
    parsed = make_url(sync_url(url))
    return {
        "dialect": parsed.drivername,
        "host": parsed.host,
        "port": parsed.port,
        "db": parsed.database,
        "username": parsed.username,
        "password": parsed.password,
        "query": dict(parsed.query) or None,
    }


def make_tracker_store(url: str, domain: Domain | None) -> SQLTrackerStore:
    store = threaded_tracker_store_class()(domain=domain, **tracker_store_arguments(url))
    if store.engine.dialect.name == "postgresql":
        _reuse_warm_connections(store)
    if store.engine.dialect.name == "sqlite":
        # Our own engine writes to the same file: wait for its locks instead of failing
        # (Rasa then silently falls back to an in-memory tracker, losing the conversation).
        sa.event.listen(store.engine, "connect", _sqlite_wait_for_locks)
    return store


def _reuse_warm_connections(store: SQLTrackerStore) -> None:
    """Rasa's engine again with our pool order (storage/db.py); Rasa has no option for it."""
    from rasa.core.tracker_store import create_engine_kwargs

    built = store.engine
    store.engine = sa.create_engine(
        built.url, **create_engine_kwargs(built.url), **POOL_OPTIONS
    )
    store.sessionmaker = sessionmaker(bind=store.engine)
    built.dispose()


def _sqlite_wait_for_locks(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


async def _in_thread(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run one of Rasa's tracker store coroutines (blocking SQL inside) on a worker thread."""
    return await asyncio.to_thread(asyncio.run, coroutine)


@functools.cache
def threaded_tracker_store_class() -> type[SQLTrackerStore]:
    """Rasa's SQLTrackerStore with its database work off the event loop, and trackers kept.

    Rasa 3.6 runs blocking SQLAlchemy calls inside its async methods. On the event loop,
    a save that waits for SQLite's write lock blocks the loop, while the transaction that
    holds the lock (ours, through aiosqlite) needs the loop to finish: a deadlock until the
    busy timeout. On PostgreSQL it stalls every conversation for each query's duration.

    The latest session's tracker is kept after each save and handed out again while the
    conversation's newest event row is still the one it saved (`storage/tracker_cache.py`).
    One conversation is in one turn at a time (Rasa's lock and our turn lock), so a saved
    tracker is not in use when the next turn takes it.
    """
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.events import SessionStarted

    class ThreadedSQLTrackerStore(SQLTrackerStore):
        def __init__(self, *args: Any, cache_size: int = TRACKER_CACHE_SIZE, **kwargs: Any):
            super().__init__(*args, **kwargs)
            self.cache = TrackerCache(cache_size)
            table = self.SQLEvent.__table__
            # Built once: SQLAlchemy's statement building was a visible share of each turn.
            self._last_event_id_query = sa.select(sa.func.max(table.c.id)).where(
                table.c.sender_id == sa.bindparam("sender")
            )

        async def retrieve(self, sender_id: str) -> Any:
            return await asyncio.to_thread(self._retrieve_latest_session, sender_id)

        async def retrieve_full_tracker(self, conversation_id: str) -> Any:
            return await _in_thread(super().retrieve_full_tracker(conversation_id))

        async def save(self, tracker: Any) -> None:
            await asyncio.to_thread(self._save, tracker)

        async def keys(self) -> Any:
            return await _in_thread(super().keys())

        def _last_event_id(self, connection: sa.engine.Connection, sender_id: str) -> int | None:
            return connection.execute(self._last_event_id_query, {"sender": sender_id}).scalar()

        def _retrieve_latest_session(self, sender_id: str) -> Any:
            from rasa.shared.core.trackers import DialogueStateTracker

            with self.engine.connect() as connection:
                last_event_id = self._last_event_id(connection, sender_id)
            kept = self.cache.reusable(sender_id, last_event_id)
            if kept is not None:
                return kept
            behind = self.cache.behind(sender_id, last_event_id)
            caught_up = None if behind is None else self._catch_up(sender_id, behind)
            if caught_up is not None:
                return caught_up
            with self.session_scope() as session:
                rows = self._event_query(session, sender_id, False).all()
            if not rows or self.domain is None:
                self.cache.forget(sender_id)
                return None
            events = [json.loads(row.data) for row in rows]
            tracker = DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
            stored = StoredTracker(tracker, len(rows), max(row.id for row in rows), True)
            self.cache.remember(sender_id, stored)
            return tracker

        def _catch_up(self, sender_id: str, entry: StoredTracker) -> Any:
            """Apply the rows written since `entry` (another worker's turns) to its tracker, as
            Rasa's `from_dict` applies every row; None when a rebuild is needed instead."""
            from rasa.shared.core.events import deserialise_events

            table = self.SQLEvent.__table__
            query = (
                sa.select(table.c.id, table.c.type_name, table.c.data)
                .where(table.c.sender_id == sender_id, table.c.id >= entry.last_event_id)
                .order_by(table.c.id)
            )
            with self.engine.connect() as connection:
                rows = connection.execute(query).all()
            # Its newest row gone: erased meanwhile. A new session: read from its start.
            if not rows or rows[0].id != entry.last_event_id:
                return None
            new = rows[1:]
            if any(row.type_name == SessionStarted.type_name for row in new):
                return None
            tracker = entry.tracker
            for event in deserialise_events([json.loads(row.data) for row in new]):
                tracker.update(event)
            stored = StoredTracker(tracker, entry.stored + len(new), rows[-1].id, True)
            self.cache.remember(sender_id, stored)
            return tracker

        def _save(self, tracker: Any) -> None:
            sender_id = tracker.sender_id
            known = self.cache.known(sender_id, tracker)
            if known is None:  # not read or written here: Rasa's own way (it counts the rows)
                asyncio.run(SQLTrackerStore.save(self, tracker))
                with self.engine.connect() as connection:
                    last_event_id = self._last_event_id(connection, sender_id)
                entry = StoredTracker(tracker, len(tracker.events), last_event_id, False)
                self.cache.remember(sender_id, entry)
                return
            # Read or written by this process in this turn: nobody else wrote since, as the
            # conversation's lock is held, so the rows it lacks are the ones after `stored`.
            new = list(itertools.islice(tracker.events, known.stored, None))
            last_event_id = known.last_event_id
            if new:
                with self.engine.begin() as connection:
                    last_event_id = self._insert(connection, sender_id, new)
            reusable = known.reusable and not any(isinstance(e, SessionStarted) for e in new)
            entry = StoredTracker(tracker, len(tracker.events), last_event_id, reusable)
            self.cache.remember(sender_id, entry)

        def _insert(
            self, connection: sa.engine.Connection, sender_id: str, events: list[Any]
        ) -> int | None:
            """Insert the events' rows; the conversation's newest row id after them."""
            table = self.SQLEvent.__table__
            rows = [event_row(sender_id, event) for event in events]
            if connection.dialect.full_returning:
                inserted = connection.execute(table.insert().values(rows).returning(table.c.id))
                return max(inserted.scalars())
            connection.execute(table.insert(), rows)
            return self._last_event_id(connection, sender_id)

    return ThreadedSQLTrackerStore


def event_row(sender_id: str, event: Any) -> dict[str, Any]:
    """One of Rasa's `events` rows, as its SQLTrackerStore.save writes it."""
    data = event.as_dict()
    return {
        "sender_id": sender_id,
        "type_name": event.type_name,
        "timestamp": data.get("timestamp"),
        "intent_name": data.get("parse_data", {}).get("intent", {}).get("name"),
        "action_name": data.get("name"),
        "data": json.dumps(data),
    }
