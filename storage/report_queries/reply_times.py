"""Report 2, time to first staff reply: median and p90 by day and over the range.

Percentiles are computed with window functions and integer arithmetic that SQLite and
PostgreSQL agree on (`percentile`, which staff/stats_queries.py reuses for /stats).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.models import Case, TranscriptMessage
from storage.report_queries.sql import DateRange, seconds_between, utc_day

PERCENTILES = (50, 90)


@dataclass(frozen=True)
class ReplyDay:
    """Cases opened that day that staff answered, and their waits in seconds."""

    day: date | None  # None: the whole range
    answered: int
    median_s: float | None
    p90_s: float | None


@dataclass(frozen=True)
class ReplyTimes:
    days: list[ReplyDay]
    overall: ReplyDay
    # Cases opened in the range that no staff message has answered yet.
    unanswered: int


def _first_replies(period: DateRange) -> Any:
    """One row per case opened in the range that staff answered: its day and its wait."""
    # Each case's first staff message, grouped over the transcript in one scan (hash
    # aggregate) before the join: walking the case_id index fetched every message's row.
    # A reply to a case opened in the range comes after the range's start.
    first = (
        sa.select(
            TranscriptMessage.case_id,
            sa.func.min(TranscriptMessage.created_at).label("first_at"),
        )
        .where(
            TranscriptMessage.author == "staff",
            TranscriptMessage.case_id.is_not(None),
            TranscriptMessage.created_at >= period.start_at,
        )
        .group_by(TranscriptMessage.case_id)
        .subquery("first_staff")
    )
    return (
        sa.select(
            utc_day(Case.opened_at).label("day"),
            seconds_between(first.c.first_at, Case.opened_at).label("seconds"),
        )
        .join(first, first.c.case_id == Case.id)
        .where(period.holds(Case.opened_at))
    )


def percentile(ranked: Any, percent: int) -> Any:
    """The `percent` percentile of `ranked.c.seconds`, interpolated like percentile_cont.

    Position (n - 1) * p between the rows ranked `low` and `low + 1`; computed with integer
    arithmetic because the databases disagree on casting and rounding (PostgreSQL rounds
    a numeric cast to integer, SQLite truncates, and SQLite may lack floor()).
    """
    scaled = (ranked.c.n - 1) * percent
    remainder = scaled % 100
    low = (scaled - remainder) / 100  # exact: the numerator is a multiple of 100
    high = low + sa.case((remainder > 0, 1), else_=0)
    weight = remainder / 100.0
    return sa.cast(
        sa.func.sum(sa.case((ranked.c.rn == low, ranked.c.seconds * (1 - weight)), else_=0))
        + sa.func.sum(sa.case((ranked.c.rn == high, ranked.c.seconds * weight), else_=0)),
        sa.Float,
    )


def _percentiles_by(firsts: Any, by_day: bool) -> sa.sql.Select:
    partition = [firsts.c.day] if by_day else []
    ranked = sa.select(
        firsts.c.day,
        firsts.c.seconds,
        (sa.func.row_number().over(partition_by=partition, order_by=firsts.c.seconds) - 1).label(
            "rn"
        ),
        sa.func.count().over(partition_by=partition).label("n"),
    ).subquery("by_day" if by_day else "whole")
    columns = [
        sa.func.max(ranked.c.n).label("answered"),
        *(percentile(ranked, p).label(f"p{p}") for p in PERCENTILES),
    ]
    if by_day:
        return sa.select(ranked.c.day, *columns).group_by(ranked.c.day)
    # One row even when no case was answered: its figures are then NULL.
    return sa.select(sa.literal("all", sa.String).label("day"), *columns)


async def reply_times(engine: AsyncEngine, period: DateRange) -> ReplyTimes:
    """Median and p90 of the wait from a case's opening to its first staff message, by day
    and over the whole range, in one statement (the first replies computed once)."""
    firsts = _first_replies(period).cte("first_replies")
    query = sa.union_all(_percentiles_by(firsts, by_day=True), _percentiles_by(firsts, False))
    opened = sa.select(sa.func.count(Case.id)).where(period.holds(Case.opened_at))
    async with engine.connect() as connection:
        rows = {row.day: row for row in (await connection.execute(query)).all()}
        opened_count = int((await connection.execute(opened)).scalar_one())

    def figures(day: date | None, key: str) -> ReplyDay:
        row = rows.get(key)
        if row is None or row.answered is None:
            return ReplyDay(day, 0, None, None)
        return ReplyDay(day, int(row.answered), float(row.p50), float(row.p90))

    days = [figures(day, day.isoformat()) for day in period.days]
    overall = figures(None, "all")
    return ReplyTimes(days, overall, opened_count - overall.answered)
