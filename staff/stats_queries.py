"""Service figures in SQL: per period (the reports' queries of storage/report_queries/, reused)
and per case.

Time to first staff reply counts from `cases.opened_at`, as the console's reports do
(docs/reports.md); handling time runs from `claimed_at` to `closed_at`; ratings are
`cases.rating`. Days are UTC days. The reports' percentile expression (`percentile`,
interpolated as percentile_cont on both databases) is reused rather than copied.

Measured with `python -m bench.staff_stats` (the console bench's 10,000 cases and 124,000
messages) on the shared machine: each period p95 46-125 ms on PostgreSQL, 80-199 ms on SQLite.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.models import Case, TranscriptMessage
from storage.report_queries import (
    DateRange,
    Ratings,
    ReplyDay,
    percentile,
    ratings,
    reply_times,
    seconds_between,
)


@dataclass(frozen=True)
class PeriodFigures:
    period: DateRange
    cases: int
    first_reply: ReplyDay
    handled: int
    handling_median_s: float | None
    ratings: Ratings


@dataclass(frozen=True)
class CaseFigures:
    first_reply_s: float | None
    handling_s: float | None
    rating: int | None


def last_days(today: date, days: int) -> DateRange:
    """The `days` UTC days ending with today."""
    return DateRange(today - timedelta(days=days - 1), today)


async def _handling(engine: AsyncEngine, period: DateRange) -> tuple[int, float | None]:
    """Cases closed in the period after staff took them over, and their median handling."""
    spans = (
        sa.select(seconds_between(Case.closed_at, Case.claimed_at).label("seconds"))
        .where(Case.claimed_at.is_not(None), period.holds(Case.closed_at))
        .subquery("spans")
    )
    ranked = sa.select(
        spans.c.seconds,
        (sa.func.row_number().over(order_by=spans.c.seconds) - 1).label("rn"),
        sa.func.count().over().label("n"),
    ).subquery("ranked")
    query = sa.select(sa.func.max(ranked.c.n), percentile(ranked, 50))
    async with engine.connect() as connection:
        handled, median = (await connection.execute(query)).one()
    return int(handled or 0), float(median) if handled else None


async def period_figures(engine: AsyncEngine, period: DateRange) -> PeriodFigures:
    """Cases opened, time to first reply, handling time and ratings over whole UTC days."""
    replies = await reply_times(engine, period)
    handled, handling = await _handling(engine, period)
    return PeriodFigures(
        period=period,
        cases=replies.overall.answered + replies.unanswered,
        first_reply=replies.overall,
        handled=handled,
        handling_median_s=handling,
        ratings=await ratings(engine, period),
    )


async def case_figures(engine: AsyncEngine, case_id: int) -> CaseFigures | None:
    """One case's first staff reply, handling time and rating; None if there is no case."""
    first = (
        sa.select(sa.func.min(TranscriptMessage.created_at))
        .where(TranscriptMessage.case_id == case_id, TranscriptMessage.author == "staff")
        .scalar_subquery()
    )
    query = sa.select(
        seconds_between(first, Case.opened_at),
        seconds_between(Case.closed_at, Case.claimed_at),
        Case.rating,
    ).where(Case.id == case_id)
    async with engine.connect() as connection:
        row = (await connection.execute(query)).one_or_none()
    if row is None:
        return None
    first_s, handling_s, rating = row
    return CaseFigures(
        float(first_s) if first_s is not None else None,
        float(handling_s) if handling_s is not None else None,
        int(rating) if rating is not None else None,
    )
