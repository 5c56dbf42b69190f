"""Fixtures: a migrated SQLite database, a controlled clock for the senders' pacing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from storage import Database, Repository, migrate
from storage.staff_lanes import StaffLaneStore

START = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


@dataclass
class FakeClock:
    """Monotonic seconds and the wall clock, moved only by `pause` (no real sleeping)."""

    seconds: float = 1000.0
    pauses: list[float] = field(default_factory=list)

    def monotonic(self) -> float:
        return self.seconds

    def now(self) -> datetime:
        return START + timedelta(seconds=self.seconds - 1000.0)

    async def pause(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.seconds += seconds


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    url = f"sqlite:///{tmp_path / 'staff.db'}"
    migrate(url)
    database = Database(url)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
def lanes(db: Database) -> StaffLaneStore:
    return StaffLaneStore(db)


@pytest.fixture
def repo(db: Database) -> Repository:
    return Repository(db, b"staff-tests-secret")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
