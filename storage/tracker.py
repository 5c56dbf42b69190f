"""Rasa's SQLTrackerStore on our database, built from our URL.

Rasa creates its own `events` table (with its sync engine); our migrations never touch it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from storage.db import sync_url

if TYPE_CHECKING:
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain


SQLITE_BUSY_TIMEOUT_MS = 30_000


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
    from rasa.core.tracker_store import SQLTrackerStore

    store = SQLTrackerStore(domain=domain, **tracker_store_arguments(url))
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
