"""Reports: the funnel, time to first staff reply, cases per day by urgency, ratings.

GET /reports shows all four over a date range (default: the last 30 UTC days), each
with its plot, an alt text stating its figures, a table of the same figures and a CSV
link; /reports/{name}.png and /reports/{name}.csv take the same `start` and `end`.
Plots are drawn in a child process: the console shares the bot's process and event loop.

| module | what it does |
| --- | --- |
| `console/reports/__init__.py` | the routes: the page, each report's PNG and CSV |
| `console/reports/tables.py` | `REPORTS`: each report's query, plot, table (and CSV) and alt text |
| `console/reports/period.py` | `parse_range`: the date range and why a bad one is refused |
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from console import plots
from console.auth import template_context
from console.context import context_of
from console.reports.period import BadRange, parse_range
from console.reports.tables import REPORTS, Report
from console.templating import templates
from storage import report_queries as q

# One drawing child per bot process, shared by every console request (see plots.py).
PLOTTER = plots.Plotter()


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
    """One report's plot, drawn in the plotting child."""
    found = _report_and_range(request)
    if isinstance(found, Response):
        return found
    report, period = found
    data = await report.load(context_of(request).database.engine, period)
    png = await PLOTTER.draw(report.draw, data)
    return Response(png, media_type="image/png")


async def report_csv(request: Request) -> Response:
    """One report's figures as a CSV download."""
    found = _report_and_range(request)
    if isinstance(found, Response):
        return found
    report, period = found
    table = report.table(await report.load(context_of(request).database.engine, period))
    filename = f"{report.name}-{period.start}-{period.end}.csv"
    return Response(
        table.to_csv(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


routes: list[BaseRoute] = [
    Route("/reports", reports_page, methods=["GET"], name="reports"),
    Route("/reports/{name}.png", report_png, methods=["GET"], name="report_png"),
    Route("/reports/{name}.csv", report_csv, methods=["GET"], name="report_csv"),
]
