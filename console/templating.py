"""The console's Jinja2 templates (`console/templates/`), shared by its pages and sign-in."""

from __future__ import annotations

from pathlib import Path

from starlette.templating import Jinja2Templates

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
