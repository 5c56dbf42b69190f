"""On PostgreSQL both engines of a worker hand out the connection returned last, so a quiet
worker keeps one warm backend busy instead of cycling through every pooled one."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from storage import Database
from storage.tracker import make_tracker_store

pytestmark = pytest.mark.postgres
BACKEND = sa.text("SELECT pg_backend_pid()")


async def test_our_engine_reuses_the_connection_returned_last(postgres_url: str) -> None:
    database = Database(postgres_url)
    try:
        first = await database.engine.connect()
        second = await database.engine.connect()
        pids = [await c.scalar(BACKEND) for c in (first, second)]
        await first.close()
        await second.close()
        async with database.engine.connect() as again:
            assert await again.scalar(BACKEND) == pids[1] != pids[0]
    finally:
        await database.dispose()


def test_rasas_engine_reuses_the_connection_returned_last(postgres_url: str) -> None:
    from rasa.shared.core.domain import Domain

    store = make_tracker_store(postgres_url, Domain.from_dict({"intents": ["greet"]}))
    try:
        first, second = store.engine.connect(), store.engine.connect()
        pids = [c.execute(BACKEND).scalar() for c in (first, second)]
        first.close()
        second.close()
        with store.engine.connect() as again:
            assert again.execute(BACKEND).scalar() == pids[1] != pids[0]
        with store.session_scope() as session:  # Rasa's sessions use the same engine
            assert session.execute(BACKEND).scalar() == pids[1]
    finally:
        store.engine.dispose()
