"""Placeholder until its owner fills it in (issue 14)."""

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []


class StaffOnlyMiddleware:
    """Placeholder: lets every request through."""

    def __init__(self, app):  # type: ignore[no-untyped-def]
        self.app = app

    async def __call__(self, scope, receive, send):  # type: ignore[no-untyped-def]
        await self.app(scope, receive, send)
