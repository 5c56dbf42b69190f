"""The answer when the staff check cannot tell (Telegram not reachable): 503, nothing revoked."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import Response

from console.auth.sessions import template_context
from console.templating import templates

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 60


def access_unknown(request: Request, *, signing_in: bool) -> Response:
    """A short page: try again in a minute. The session, or the link, still works."""
    log.warning("console staff check unavailable", extra={"signing_in": signing_in})
    response = templates.TemplateResponse(
        request,
        "unavailable.html",
        template_context(request, signing_in=signing_in),
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )
    # On /signin the URL holds the token: it must not travel in a Referer or stay in a cache.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response
