"""The sign-in tests' fixtures: a hand-moved clock, a second browser, and two probe routes
that stand for the console's pages, so these tests do not depend on them: GET /probe/whoami
(any signed-in page) and POST /probe/change (any form that changes something, read through
`require_csrf`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from console.auth import CLOCK, require_csrf, staff_of, template_context
from console.context import ConsoleContext
from tests.console.conftest import CONSOLE_URL


class Clock:
    """The console's clock, moved by hand: no test waits ten minutes."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def changes() -> list[dict[str, str]]:
    """The forms /probe/change accepted."""
    return []


@pytest.fixture(autouse=True)
def probe_routes(app: Starlette, changes: list[dict[str, str]]) -> None:
    async def whoami(request: Request) -> Response:
        staff = staff_of(request)
        values = template_context(request)
        return JSONResponse(
            {"name": staff.display_name, "staff_id": staff.staff_id, "csrf": values["csrf_token"]}
        )

    async def change(request: Request) -> Response:
        form = await require_csrf(request)
        changes.append({key: str(value) for key, value in form.items()})
        return PlainTextResponse("changed")

    app.router.routes.append(Route("/probe/whoami", whoami))
    app.router.routes.append(Route("/probe/change", change, methods=["POST", "DELETE"]))


@pytest.fixture
def clock(context: ConsoleContext) -> Clock:
    ticking = Clock()
    context.extra[CLOCK] = ticking
    return ticking


@pytest_asyncio.fixture
async def other_client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """A second browser."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=CONSOLE_URL) as http:
        yield http
