"""The guard on every request: a live session of someone who is staff now, and CSRF."""

from __future__ import annotations

import logging

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from console.auth.csrf import (
    CSRF_HEADER,
    UNSAFE_METHODS,
    BodyTooLarge,
    csrf_matches,
    form_token,
    read_body,
    replay,
)
from console.auth.sessions import (
    StaffSession,
    clear_cookie,
    cookie_name,
    live_session,
    staff_session,
)
from console.auth.tokens import access_of, now_of
from console.auth.unavailable import access_unknown
from console.context import ConsoleContext, StaffCheckUnavailable, context_of
from storage.console_access import SessionRecord

log = logging.getLogger(__name__)

PUBLIC_PATHS = frozenset({"/signin", "/healthz", "/metrics", "/favicon.ico"})
PUBLIC_PREFIXES = ("/static/",)


def is_public(path: str) -> bool:
    """Paths anyone may reach: sign-in, static files, the operator endpoints."""
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def _with_security_headers(send: Send, *, no_store: bool) -> Send:
    """Every response refuses framing and sniffing; signed-in pages are not cached."""

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            headers.setdefault("X-Frame-Options", "DENY")
            headers.setdefault("X-Content-Type-Options", "nosniff")
            headers.setdefault("Referrer-Policy", "same-origin")
            if no_store:
                headers.setdefault("Cache-Control", "no-store")
        await send(message)

    return wrapped


class StaffOnlyMiddleware:
    """Every request but the public ones needs a live session of someone who is staff now."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if is_public(scope["path"]):
            await self.app(scope, receive, _with_security_headers(send, no_store=False))
            return
        send = _with_security_headers(send, no_store=True)
        request = Request(scope, receive)
        context = context_of(request)
        secret = request.cookies.get(cookie_name(context))
        record = await live_session(context, secret)
        if record is None or secret is None:
            await _denied(request, context, clear=secret is not None)(scope, receive, send)
            return
        try:
            still_staff = await context.is_staff(record.telegram_user_id)
        except StaffCheckUnavailable:
            # Telegram did not answer: not a no. Nobody is signed out for a network failure.
            await access_unknown(request, signing_in=False)(scope, receive, send)
            return
        if not still_staff:
            await _end_access(context, record)
            await _denied(request, context, clear=True)(scope, receive, send)
            return
        staff = staff_session(context, record, secret)
        if scope["method"] in UNSAFE_METHODS:
            token: object = request.headers.get(CSRF_HEADER)
            if token is None:
                try:
                    body = await read_body(receive)
                except BodyTooLarge:
                    await PlainTextResponse("Request too large.", 413)(scope, receive, send)
                    return
                if body is None:
                    return
                token = await form_token(scope, body, receive)
                receive = replay(body, receive)
            if not csrf_matches(staff, token):
                await _csrf_refused(context, staff)
                await PlainTextResponse(
                    "This form has expired or did not come from the console: "
                    "reload the page and try again.",
                    403,
                )(scope, receive, send)
                return
        scope.setdefault("state", {})["staff"] = staff
        await self.app(scope, receive, send)


def _denied(request: Request, context: ConsoleContext, *, clear: bool) -> Response:
    """Browsers asking for a page go to the sign-in help; anything else gets a 401."""
    accepts_html = "text/html" in request.headers.get("accept", "")
    response: Response
    if request.method in ("GET", "HEAD") and accepts_html:
        response = RedirectResponse("/signin", status_code=303)
    else:
        response = PlainTextResponse(
            "Not signed in: send /console to the bot in a private chat for a link.", 401
        )
    if clear:
        clear_cookie(response, context)
    return response


async def _end_access(context: ConsoleContext, record: SessionRecord) -> None:
    """Someone who is no longer staff: their sessions end now, and the log says so."""
    await access_of(context).revoke_sessions_of(record.staff_member_id, now_of(context))
    await context.repository.audit(
        actor_type="staff",
        actor_id=str(record.staff_member_id),
        action="console_access_ended",
        details={"reason": "not_staff", "session": record.session_id},
    )
    log.info("console access ended", extra={"staff_member_id": record.staff_member_id})


async def _csrf_refused(context: ConsoleContext, staff: StaffSession) -> None:
    await context.repository.audit(
        actor_type="staff",
        actor_id=str(staff.staff_id),
        action="console_csrf_refused",
        details={"session": staff.session_id},
    )
    log.warning("console request refused: CSRF token", extra={"staff_member_id": staff.staff_id})
