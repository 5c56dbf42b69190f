"""What every report query shares: the date range, two dialect-specific SQL expressions,
and Rasa's events table (read only).

The two dialect-specific pieces (a timestamp's UTC day, seconds between two timestamps)
are small SQL constructs compiled for SQLite and for PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

# Rasa's tracker table (rasa.core.tracker_store.SQLTrackerStore.SQLEvent), read only.
# Rasa creates it on its first save, so a fresh database may not have it yet.
RASA_EVENTS = sa.table(
    "events",
    sa.column("sender_id", sa.String),
    sa.column("type_name", sa.String),
    sa.column("timestamp", sa.Float),
    sa.column("intent_name", sa.String),
    sa.column("action_name", sa.String),
)


@dataclass(frozen=True)
class DateRange:
    """Whole UTC days from `start` to `end`, both included."""

    start: date
    end: date

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=timezone.utc)

    @property
    def end_before(self) -> datetime:
        """The first instant after the range (exclusive upper bound)."""
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=timezone.utc)

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    def holds(self, column: Any) -> sa.sql.ColumnElement[bool]:
        return sa.and_(column >= self.start_at, column < self.end_before)

    def holds_epoch(self, column: Any) -> sa.sql.ColumnElement[bool]:
        """For Rasa's event timestamps, which are Unix seconds."""
        return sa.and_(column >= self.start_at.timestamp(), column < self.end_before.timestamp())


# -- two dialect-specific expressions ------------------------------------------------


class utc_day(FunctionElement):
    """The UTC calendar day of a UTCDateTime column, as 'YYYY-MM-DD' text."""

    type = sa.String()
    inherit_cache = True


@compiles(utc_day, "sqlite")
def _utc_day_sqlite(element: utc_day, compiler: Any, **kw: Any) -> str:
    # UTCDateTime stores naive UTC text, 'YYYY-MM-DD HH:MM:SS.ffffff', on SQLite.
    return f"substr({compiler.process(element.clauses, **kw)}, 1, 10)"


@compiles(utc_day, "postgresql")
def _utc_day_postgresql(element: utc_day, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"to_char(({column}) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"


class seconds_between(FunctionElement):
    """seconds_between(later, earlier): the seconds from `earlier` to `later`."""

    type = sa.Float()
    inherit_cache = True


@compiles(seconds_between, "sqlite")
def _seconds_between_sqlite(element: seconds_between, compiler: Any, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    # julianday's double carries days since 4714 BC: about 20 microseconds of noise, so
    # round to the millisecond (PostgreSQL's interval arithmetic is exact).
    return f"round((julianday({later}) - julianday({earlier})) * 86400.0, 3)"


@compiles(seconds_between, "postgresql")
def _seconds_between_postgresql(element: seconds_between, compiler: Any, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(EXTRACT(EPOCH FROM ({later} - {earlier})) AS DOUBLE PRECISION)"


async def has_events_table(connection: AsyncConnection) -> bool:
    return await connection.run_sync(lambda sync: sa.inspect(sync).has_table("events"))
