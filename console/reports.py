"""Placeholder until its owner fills it in (issue 14)."""

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
