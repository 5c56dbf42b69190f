"""/stats in a staff group: today and the last 7 days (cases, time to first staff reply,
handling time, ratings), and in a case's topic that case's own figures too.

The figures are computed in SQL (staff/stats_queries.py, on storage/report_queries/).
Only staff get them; anyone else gets silence, and the attempt is audited.
"""

from __future__ import annotations

from datetime import datetime, timezone

from telegram import User

from bot.content import tool_message
from staff.base import DeskParts
from staff.stats_queries import (
    PeriodFigures,
    case_figures,
    last_days,
    period_figures,
)
from storage import CaseRef
from storage.report_queries import RATINGS

WEEK_DAYS = 7


def duration(seconds: float | None) -> str:
    """A wait as staff read it: "42 s", "7 min", "3 h 05 min", "2 d 4 h"."""
    if seconds is None:
        return tool_message("stats.none")
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def _ratings_text(figures: PeriodFigures) -> str:
    ratings = figures.ratings
    if not ratings.total:
        return tool_message("stats.no_ratings")
    counts = {f"r{r}": ratings.counts.get(r, 0) for r in RATINGS}
    mean = f"{ratings.mean:.2f}" if ratings.mean is not None else tool_message("stats.none")
    return tool_message("stats.ratings", count=ratings.total, mean=mean, **counts)


def render_period(label: str, figures: PeriodFigures) -> str:
    return tool_message(
        "stats.period",
        label=label,
        cases=figures.cases,
        median=duration(figures.first_reply.median_s),
        p90=duration(figures.first_reply.p90_s),
        answered=figures.first_reply.answered,
        handling=duration(figures.handling_median_s),
        handled=figures.handled,
        ratings=_ratings_text(figures),
    )


class ServiceStats(DeskParts):
    """The service figures staff ask for with /stats."""

    async def stats_text(
        self, user: User, case: CaseRef | None = None, now: datetime | None = None
    ) -> str:
        """Today and the last 7 days, and the case's figures when asked in its topic."""
        engine = self.repository.database.engine
        today = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).date()
        await self.repository.audit(actor_type="staff", actor_id=str(user.id), action="read_stats")
        parts = [
            tool_message("stats.header"),
            render_period(
                tool_message("stats.today"), await period_figures(engine, last_days(today, 1))
            ),
            render_period(
                tool_message("stats.week"),
                await period_figures(engine, last_days(today, WEEK_DAYS)),
            ),
        ]
        if case is not None:
            figures = await case_figures(engine, case.id)
            if figures is not None:
                parts.append(
                    tool_message(
                        "stats.case",
                        reference=case.reference,
                        first_reply=duration(figures.first_reply_s),
                        handling=duration(figures.handling_s),
                        rating=figures.rating
                        if figures.rating is not None
                        else tool_message("stats.none"),
                    )
                )
        return "\n\n".join(parts)

    async def refuse_stats(self, user: User, chat_id: int) -> None:
        """/stats from someone who is not staff: no answer, only an audit entry."""
        await self.repository.audit(
            actor_type="stranger",
            actor_id=self.repository.pseudonym_for(user.id),
            action="refused_stats",
            details={"in_staff_group": chat_id in self.chat_ids},
        )
