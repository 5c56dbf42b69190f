"""The live queue: the cases waiting for staff, urgent first, with how long each has waited."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from console import queries
from console.auth import template_context
from console.context import context_of
from console.pages.views import case_view, duration, time_text
from console.templating import templates
from storage.timeutil import utcnow

REFRESH_SECONDS = 30


async def queue_page(request: Request) -> Response:
    """Waiting cases, urgent first, with how long each has waited."""
    async with context_of(request).database.engine.connect() as connection:
        rows = await queries.waiting_cases(connection)
    now = utcnow()
    waiting = [case_view(row, now) for row in rows]
    longest = max(
        ((now - row.queued_at).total_seconds() for row in rows if row.queued_at), default=None
    )
    return templates.TemplateResponse(
        request,
        "queue.html",
        template_context(
            request,
            cases=waiting,
            urgent=sum(1 for case in waiting if case["urgent"]),
            longest=duration(longest) if longest is not None else "",
            updated=time_text(now),
            refresh_seconds=REFRESH_SECONDS,
        ),
        # The Refresh header does what a meta refresh would; base.html has no head block.
        headers={"Refresh": str(REFRESH_SECONDS)},
    )
