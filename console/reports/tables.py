"""The four reports: each one's figures as a table (page and CSV) and as one sentence."""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from console import plots
from storage import report_queries as q


def _minutes(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds / 60:.1f} min"


def _seconds(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds:.1f}"


@dataclass(frozen=True)
class Table:
    """The figures of a report, for the page (human headers) and the CSV (machine ones)."""

    headers: list[str]
    rows: list[list[str]]
    csv_headers: list[str]
    csv_rows: list[list[Any]]

    def to_csv(self) -> str:
        """The CSV download: machine headers, then the rows, CRLF line ends."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(self.csv_headers)
        writer.writerows(self.csv_rows)
        return buffer.getvalue()


# -- each report: its figures as a table and as one sentence ---------------------------


def _funnel_table(funnel: q.Funnel) -> Table:
    started = funnel.steps[0].patients if funnel.steps else 0
    rows = [
        [s.label, str(s.patients), f"{s.patients / started:.0%}" if started else "–"]
        for s in funnel.steps
    ]
    return Table(
        ["Step", "Patients", "Of started"],
        rows,
        ["step", "label", "patients"],
        [[s.key, s.label, s.patients] for s in funnel.steps],
    )


def _funnel_alt(funnel: q.Funnel, period: q.DateRange) -> str:
    steps = "; ".join(f"{s.label.lower()} {s.patients}" for s in funnel.steps)
    return f"Funnel of patients, {period.start} to {period.end}: {steps}."


def _reply_table(times: q.ReplyTimes) -> Table:
    rows = [
        [d.day.isoformat(), str(d.answered), _minutes(d.median_s), _minutes(d.p90_s)]
        for d in times.days
        if d.day is not None
    ]
    rows.append(
        [
            "whole range",
            str(times.overall.answered),
            _minutes(times.overall.median_s),
            _minutes(times.overall.p90_s),
        ]
    )
    return Table(
        ["Day opened", "Cases answered", "Median", "p90"],
        rows,
        ["day", "cases_answered", "median_seconds", "p90_seconds"],
        [
            [
                d.day.isoformat() if d.day else "all",
                d.answered,
                _seconds(d.median_s),
                _seconds(d.p90_s),
            ]
            for d in [*times.days, times.overall]
        ],
    )


def _reply_alt(times: q.ReplyTimes, period: q.DateRange) -> str:
    overall = times.overall
    if not overall.answered:
        return f"Time to first staff reply, {period.start} to {period.end}: no case answered yet."
    answered_days = [d for d in times.days if d.answered]
    slowest = max(answered_days, key=lambda d: d.p90_s or 0.0)
    return (
        f"Time to first staff reply, {period.start} to {period.end}: {overall.answered} cases "
        f"answered, median {_minutes(overall.median_s)}, p90 {_minutes(overall.p90_s)}; "
        f"slowest day {slowest.day} with p90 {_minutes(slowest.p90_s)}; "
        f"{times.unanswered} cases not answered yet. Each day's figures are in the table below."
    )


def _urgency_table(days: list[q.UrgencyDay]) -> Table:
    urgencies = list(days[0].counts) if days else []
    return Table(
        ["Day", *(u.capitalize() for u in urgencies), "Total"],
        [[d.day.isoformat(), *(str(n) for n in d.counts.values()), str(d.total)] for d in days],
        ["day", *urgencies, "total"],
        [[d.day.isoformat(), *d.counts.values(), d.total] for d in days],
    )


def _urgency_alt(days: list[q.UrgencyDay], period: q.DateRange) -> str:
    totals: dict[str, int] = {}
    for d in days:
        for urgency, n in d.counts.items():
            totals[urgency] = totals.get(urgency, 0) + n
    total = sum(totals.values())
    split = ", ".join(f"{n} {u}" for u, n in totals.items())
    busiest = max(days, key=lambda d: d.total) if days else None
    peak = f"; busiest day {busiest.day} with {busiest.total}" if busiest and total else ""
    return (
        f"Cases opened per day by urgency, {period.start} to {period.end}: {total} cases "
        f"({split}){peak}. Each day's figures are in the table below."
    )


def _ratings_table(ratings: q.Ratings) -> Table:
    mean = ratings.mean
    rows = [[str(r), str(n)] for r, n in ratings.counts.items()]
    rows.append(["mean", f"{mean:.2f}" if mean is not None else "–"])
    return Table(
        ["Rating", "Cases"],
        rows,
        ["rating", "cases"],
        [
            *([r, n] for r, n in ratings.counts.items()),
            ["mean", "" if mean is None else f"{mean:.2f}"],
        ],
    )


def _ratings_alt(ratings: q.Ratings, period: q.DateRange) -> str:
    counts = ", ".join(f"{n} rated {r}" for r, n in ratings.counts.items())
    mean = ratings.mean
    average = f"mean {mean:.2f} of {ratings.total} ratings" if mean is not None else "no ratings"
    return f"Ratings of cases closed {period.start} to {period.end}: {counts}; {average}."


@dataclass(frozen=True)
class Report:
    name: str
    title: str
    note: str
    load: Callable[[AsyncEngine, q.DateRange], Awaitable[Any]]
    draw: Callable[[Any], bytes]
    table: Callable[[Any], Table]
    alt: Callable[[Any, q.DateRange], str]


REPORTS: dict[str, Report] = {
    r.name: r
    for r in (
        Report(
            "funnel",
            "Funnel",
            "Distinct patients. Each step counts only patients who started in the range.",
            q.funnel,
            plots.funnel_png,
            _funnel_table,
            _funnel_alt,
        ),
        Report(
            "reply-times",
            "Time to first staff reply",
            "From the moment a case opened (the handoff) to the first staff message in it "
            "that reached the patient, for cases opened in the range, by the day they "
            "opened. The case's opening is used, not its place in the queue, which moves "
            "when staff release a case. p90: nine in ten were answered sooner.",
            q.reply_times,
            plots.reply_times_png,
            _reply_table,
            _reply_alt,
        ),
        Report(
            "cases-by-urgency",
            "Cases per day by urgency",
            "Cases opened each UTC day, urgent ones stacked on normal ones.",
            q.cases_by_urgency,
            plots.cases_by_urgency_png,
            _urgency_table,
            _urgency_alt,
        ),
        Report(
            "ratings",
            "Ratings",
            "Patients' ratings (1 to 5) of cases closed in the range, and their mean.",
            q.ratings,
            plots.ratings_png,
            _ratings_table,
            _ratings_alt,
        ),
    )
}
