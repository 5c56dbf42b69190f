"""Reports 3 and 4: cases opened per day by urgency, and patients' ratings of closed cases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.models import URGENCIES, Case
from storage.report_queries.sql import DateRange, utc_day

RATINGS = (1, 2, 3, 4, 5)


# -- 3. cases per day by urgency -------------------------------------------------------


@dataclass(frozen=True)
class UrgencyDay:
    day: date
    counts: dict[str, int]  # urgency -> cases opened that day

    @property
    def total(self) -> int:
        return sum(self.counts.values())


async def cases_by_urgency(engine: AsyncEngine, period: DateRange) -> list[UrgencyDay]:
    """Cases opened per UTC day, split by urgency; days without cases read 0."""
    day = utc_day(Case.opened_at).label("day")
    query = (
        sa.select(day, Case.urgency, sa.func.count(Case.id).label("cases"))
        .where(period.holds(Case.opened_at))
        .group_by(day, Case.urgency)
    )
    async with engine.connect() as connection:
        rows = (await connection.execute(query)).all()
    counts: dict[str, dict[str, int]] = {}
    for row in rows:
        counts.setdefault(row.day, {})[row.urgency] = int(row.cases)
    return [
        UrgencyDay(d, {u: counts.get(d.isoformat(), {}).get(u, 0) for u in URGENCIES})
        for d in period.days
    ]


# -- 4. ratings ------------------------------------------------------------------------


@dataclass(frozen=True)
class Ratings:
    counts: dict[int, int]  # rating 1..5 -> cases

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def mean(self) -> float | None:
        total = self.total
        return sum(r * n for r, n in self.counts.items()) / total if total else None


async def ratings(engine: AsyncEngine, period: DateRange) -> Ratings:
    """Patients' ratings (1-5) of cases closed in the range."""
    query = (
        sa.select(Case.rating, sa.func.count(Case.id).label("cases"))
        .where(Case.rating.is_not(None), period.holds(Case.closed_at))
        .group_by(Case.rating)
    )
    async with engine.connect() as connection:
        rows = (await connection.execute(query)).all()
    found = {int(row.rating): int(row.cases) for row in rows}
    return Ratings({r: found.get(r, 0) for r in RATINGS})
