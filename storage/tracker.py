"""Rasa's SQLTrackerStore on our database, built from our URL.

Rasa creates its own `events` table (with its sync engine); our migrations never touch it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url

from storage.db import sync_url

if TYPE_CHECKING:
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain


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

    return SQLTrackerStore(domain=domain, **tracker_store_arguments(url))
