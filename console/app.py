"""The console's Starlette application: one place that wires its routes together."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from console import auth, ops, pages, reports
from console.auth import StaffOnlyMiddleware
from console.context import ConsoleContext

HERE = Path(__file__).parent
FONTS = HERE.parent / "storage" / "fonts"


def console_routes() -> list[BaseRoute]:
    """Every route of the console, each module owning its own."""
    return [
        *auth.routes,
        *pages.routes,
        *reports.routes,
        *ops.routes,
        # The receipt's Devanagari font, for Hindi on every page (console.css).
        Mount("/static/fonts", StaticFiles(directory=str(FONTS)), name="fonts"),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]


def build_console(context: ConsoleContext) -> Starlette:
    """The console app; the staff check runs on every request but the public ones."""
    app = Starlette(routes=console_routes())
    app.add_middleware(StaffOnlyMiddleware)
    app.state.context = context
    return app
