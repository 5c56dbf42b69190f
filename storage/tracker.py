"""Rasa's SQLTrackerStore on our database, built from our URL.

Rasa creates its own `events` table (with its sync engine); our migrations never touch it.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from storage.db import sync_url

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
    if store.engine.dialect.name == "sqlite":
        # Our own engine writes to the same file: wait for its locks instead of failing
        # (Rasa then silently falls back to an in-memory tracker, losing the conversation).
        sa.event.listen(store.engine, "connect", _sqlite_wait_for_locks)
    return store


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
    """Rasa's SQLTrackerStore with its database work off the event loop.

    Rasa 3.6 runs blocking SQLAlchemy calls inside its async methods. On the event loop,
    a save that waits for SQLite's write lock blocks the loop, while the transaction that
    holds the lock (ours, through aiosqlite) needs the loop to finish: a deadlock until the
    busy timeout. On PostgreSQL it stalls every conversation for each query's duration.
    """
    from rasa.core.tracker_store import SQLTrackerStore

    class ThreadedSQLTrackerStore(SQLTrackerStore):
        async def retrieve(self, sender_id: str) -> Any:
            return await _in_thread(super().retrieve(sender_id))

        async def retrieve_full_tracker(self, conversation_id: str) -> Any:
            return await _in_thread(super().retrieve_full_tracker(conversation_id))

        async def save(self, tracker: Any) -> None:
            await _in_thread(super().save(tracker))

        async def keys(self) -> Any:
            return await _in_thread(super().keys())

    return ThreadedSQLTrackerStore
