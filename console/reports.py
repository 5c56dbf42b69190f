"""Reports: the funnel, time to first staff reply, cases per day by urgency, ratings.

GET /reports shows all four over a date range (default: the last 30 UTC days), each
with its plot, an alt text stating its figures, a table of the same figures and a CSV
link; /reports/{name}.png and /reports/{name}.csv take the same `start` and `end`.
Plots are drawn in a child process: the console shares the bot's process and event loop.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from console import plots
from console import report_queries as q
from console.app import templates
from console.auth import template_context
from console.context import context_of

DEFAULT_DAYS = 30
MAX_DAYS = 366
# One drawing child per bot process, shared by every console request (see plots.py).
PLOTTER = plots.Plotter()


class BadRange(ValueError):
    """A date range the reports cannot use; the message says why, for the user."""


def today_utc() -> date:
    return datetime.now(timezone.utc).date()


def parse_range(params: Mapping[str, str], today: date | None = None) -> q.DateRange:
    """`start` and `end` (YYYY-MM-DD, both included); either missing takes its default."""
    today = today or today_utc()

    def read(name: str, default: date) -> date:
        raw = (params.get(name) or "").strip()
        if not raw:
            return default
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise BadRange(f"{name}: {raw[:40]!r} is not a date written as YYYY-MM-DD.") from None

    end = read("end", today)
    start = read("start", end - timedelta(days=DEFAULT_DAYS - 1))
    if end >= date.max:  # the range's exclusive bound, the next day, would not exist
        raise BadRange(f"end ({end}) is past the last day a calendar can hold.")
    if start > end:
        raise BadRange(f"start ({start}) is after end ({end}).")
    span = (end - start).days + 1
    if span > MAX_DAYS:
        raise BadRange(f"The range spans {span} days; at most {MAX_DAYS} are shown at once.")
    return q.DateRange(start, end)


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


def _query(period: q.DateRange) -> str:
    return urlencode({"start": period.start.isoformat(), "end": period.end.isoformat()})


async def reports_page(request: Request) -> Response:
    """All four reports over the range; a bad range shows the form and why, with a 400."""
    engine = context_of(request).database.engine
    try:
        period = parse_range(request.query_params)
    except BadRange as error:
        default = parse_range({})
        values = {
            "error": str(error),
            "start": request.query_params.get("start", default.start.isoformat()),
            "end": request.query_params.get("end", default.end.isoformat()),
            "sections": [],
            "funnel_definitions": q.FUNNEL_DEFINITIONS,
        }
        return templates.TemplateResponse(
            request, "reports.html", template_context(request, **values), status_code=400
        )
    PLOTTER.warm()  # the browser asks for the four plots next
    # Each report on its own pooled connection: the database works on them side by side.
    loaded = await asyncio.gather(*(r.load(engine, period) for r in REPORTS.values()))
    sections = []
    for report, data in zip(REPORTS.values(), loaded, strict=True):
        sections.append(
            {
                "report": report,
                "table": report.table(data),
                "alt": report.alt(data, period),
                "png": f"/reports/{report.name}.png?{_query(period)}",
                "csv": f"/reports/{report.name}.csv?{_query(period)}",
            }
        )
    values = {
        "error": None,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "sections": sections,
        "funnel_definitions": q.FUNNEL_DEFINITIONS,
    }
    return templates.TemplateResponse(request, "reports.html", template_context(request, **values))


def _report_and_range(request: Request) -> tuple[Report, q.DateRange] | Response:
    report = REPORTS.get(request.path_params["name"])
    if report is None:
        return PlainTextResponse(f"No such report; there are: {', '.join(REPORTS)}.", 404)
    try:
        return report, parse_range(request.query_params)
    except BadRange as error:
        return PlainTextResponse(str(error), 400)


async def report_png(request: Request) -> Response:
    found = _report_and_range(request)
    if isinstance(found, Response):
        return found
    report, period = found
    data = await report.load(context_of(request).database.engine, period)
    png = await PLOTTER.draw(report.draw, data)
    return Response(png, media_type="image/png")


async def report_csv(request: Request) -> Response:
    found = _report_and_range(request)
    if isinstance(found, Response):
        return found
    report, period = found
    table = report.table(await report.load(context_of(request).database.engine, period))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.csv_headers)
    writer.writerows(table.csv_rows)
    filename = f"{report.name}-{period.start}-{period.end}.csv"
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


routes: list[BaseRoute] = [
    Route("/reports", reports_page, methods=["GET"], name="reports"),
    Route("/reports/{name}.png", report_png, methods=["GET"], name="report_png"),
    Route("/reports/{name}.csv", report_csv, methods=["GET"], name="report_csv"),
]
