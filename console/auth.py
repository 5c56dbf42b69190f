"""Only staff get in: one-time links from the bot, a session cookie, CSRF, a fresh staff check.

- `/console` in a private chat with the bot sends a staff member a link made by
  `create_sign_in_link`: a random nonce with an HMAC signature (the console's signing
  key), valid for ten minutes and once (its hash is stored; using it is a conditional
  UPDATE, so two uses at once cannot both win).
- `/signin?token=...` turns it into a session: a random cookie (HttpOnly, SameSite=Strict,
  Secure with an https public URL) whose hash is stored, for twelve hours.
- `StaffOnlyMiddleware` guards every path but the public ones: a live session, and on every
  request the staff check (staff group membership asked afresh, or STAFF_USER_IDS), so
  someone who left the staff loses access at the next request; and for every POST, PUT,
  PATCH or DELETE the session's CSRF token, from the form's `csrf_token` field or the
  `X-CSRF-Token` header.

Pages render with `template_context(request)`, which base.html needs (staff, csrf_token);
form handlers read their form with `await require_csrf(request)`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from starlette.datastructures import FormData, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from console.context import ConsoleContext, context_of
from storage.console_access import ConsoleAccess, SessionRecord
from storage.timeutil import utcnow

log = logging.getLogger(__name__)

LINK_LIFETIME = timedelta(minutes=10)
SESSION_LIFETIME = timedelta(hours=12)
# With Secure, the __Host- prefix also makes browsers refuse the cookie from a subdomain
# or with a Domain attribute.
COOKIE = "console_session"
SECURE_COOKIE = "__Host-console_session"
PUBLIC_PATHS = frozenset({"/signin", "/healthz", "/metrics", "/favicon.ico"})
PUBLIC_PREFIXES = ("/static/",)
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
# The largest request body the CSRF check reads into memory; the console takes no uploads.
MAX_FORM_BYTES = 2_000_000
# `context.extra[CLOCK]`, when set, is the console's clock (tests move it forward).
CLOCK = "clock"

_LINK_PURPOSE = b"console-link"
_CSRF_PURPOSE = b"console-csrf"
_NONCE_BYTES = 24


@dataclass(frozen=True)
class StaffSession:
    """Who is signed in on this request (`request.state.staff`)."""

    staff_id: int  # staff_members.id
    telegram_user_id: int
    display_name: str
    csrf_token: str
    session_id: int  # console_sessions.id


# -- secrets ----------------------------------------------------------------------------


def now_of(context: ConsoleContext) -> datetime:
    """The console's current time (aware UTC)."""
    clock: Callable[[], datetime] | None = context.extra.get(CLOCK)
    return clock() if clock is not None else utcnow()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None


def _mac(key: bytes, purpose: bytes, value: bytes) -> bytes:
    return hmac.new(key, purpose + b"\x00" + value, hashlib.sha256).digest()


def _sha256(value: bytes) -> str:
    return hashlib.sha256(value).hexdigest()


def _verified_nonce(key: bytes, token: str) -> bytes | None:
    """The link's nonce if its signature is ours, else None (forged or tampered)."""
    nonce_text, dot, signature_text = token.partition(".")
    if not dot or len(token) > 200:
        return None
    nonce, signature = _unb64(nonce_text), _unb64(signature_text)
    if nonce is None or signature is None or len(nonce) != _NONCE_BYTES:
        return None
    if not hmac.compare_digest(signature, _mac(key, _LINK_PURPOSE, nonce)):
        return None
    return nonce


def _csrf_for(key: bytes, session_secret: str) -> str:
    # Derived from the cookie's secret: per session, nothing more to store.
    return _b64(_mac(key, _CSRF_PURPOSE, session_secret.encode("ascii")))


def cookie_name(context: ConsoleContext) -> str:
    return SECURE_COOKIE if context.settings.secure_cookies else COOKIE


def _access(context: ConsoleContext) -> ConsoleAccess:
    return ConsoleAccess(context.database)


# -- links ------------------------------------------------------------------------------


async def create_sign_in_link(
    context: ConsoleContext, telegram_user_id: int, display_name: str
) -> str:
    """A signed one-time sign-in link, valid for ten minutes. The URL is a secret: never log it."""
    nonce = secrets.token_bytes(_NONCE_BYTES)
    token = f"{_b64(nonce)}.{_b64(_mac(context.signing_key, _LINK_PURPOSE, nonce))}"
    now = now_of(context)
    await _access(context).add_link(
        _sha256(nonce), telegram_user_id, display_name[:255], now, now + LINK_LIFETIME
    )
    return f"{context.settings.public_url.rstrip('/')}/signin?token={token}"


# -- sessions ---------------------------------------------------------------------------


async def _session(context: ConsoleContext, secret: str | None) -> SessionRecord | None:
    if not secret or len(secret) > 200:
        return None
    return await _access(context).live_session(_sha256(secret.encode()), now_of(context))


def _staff_session(context: ConsoleContext, record: SessionRecord, secret: str) -> StaffSession:
    return StaffSession(
        staff_id=record.staff_member_id,
        telegram_user_id=record.telegram_user_id,
        display_name=record.display_name,
        csrf_token=_csrf_for(context.signing_key, secret),
        session_id=record.session_id,
    )


def _set_cookie(response: Response, context: ConsoleContext, secret: str) -> None:
    response.set_cookie(
        cookie_name(context),
        secret,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        path="/",
        secure=context.settings.secure_cookies,
        httponly=True,
        samesite="strict",
    )


def _clear_cookie(response: Response, context: ConsoleContext) -> None:
    response.delete_cookie(
        cookie_name(context),
        path="/",
        secure=context.settings.secure_cookies,
        httponly=True,
        samesite="strict",
    )


def staff_of(request: Request) -> StaffSession:
    """The signed-in staff member; set by the middleware on every page but the public ones."""
    staff = getattr(request.state, "staff", None)
    if not isinstance(staff, StaffSession):
        raise HTTPException(401, "not signed in")
    return staff


def template_context(request: Request, **values: Any) -> dict[str, Any]:
    """What base.html needs (request, staff, csrf_token), plus the page's own values."""
    staff = getattr(request.state, "staff", None)
    return {
        "request": request,
        "staff": staff,
        "csrf_token": staff.csrf_token if isinstance(staff, StaffSession) else "",
        **values,
    }


def _csrf_matches(staff: StaffSession, token: object) -> bool:
    return isinstance(token, str) and hmac.compare_digest(
        token.encode("utf-8", "replace"), staff.csrf_token.encode("ascii")
    )


async def require_csrf(request: Request) -> FormData:
    """The request's form once its CSRF token is this session's; 403 otherwise."""
    staff = staff_of(request)
    form = await request.form()
    token = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
    if not _csrf_matches(staff, token):
        raise HTTPException(403, "missing or wrong CSRF token")
    return form


# -- pages ------------------------------------------------------------------------------

_REFUSALS = {
    "expired": "This sign-in link has expired: links work for 10 minutes.",
    "used": "This sign-in link has been used already: each link works once.",
}
_GENERIC_REFUSAL = "This sign-in link is not valid."


def _signin_page(request: Request, status_code: int, **values: Any) -> Response:
    from console.app import templates

    response = templates.TemplateResponse(
        request, "signin.html", template_context(request, **values), status_code=status_code
    )
    # The page's URL may hold a token: it must not travel in a Referer or stay in a cache.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


async def _refuse(
    request: Request, context: ConsoleContext, reason: str, telegram_user_id: int | None
) -> Response:
    actor = (
        context.repository.pseudonym_for(telegram_user_id)
        if telegram_user_id is not None
        else "unknown"
    )
    await context.repository.audit(
        actor_type="stranger",
        actor_id=actor,
        action="console_sign_in_refused",
        details={"reason": reason},
    )
    log.info("console sign-in refused", extra={"reason": reason})
    return _signin_page(request, 403, refusal=_REFUSALS.get(reason, _GENERIC_REFUSAL))


async def signin(request: Request) -> Response:
    """A one-time link becomes a session cookie; without a token, how to get a link."""
    context = context_of(request)
    token = request.query_params.get("token")
    # A HEAD (a link checker, a preview) must not use the link up.
    if token is None or request.method == "HEAD":
        return _signin_page(request, 200, signed_out="signed_out" in request.query_params)
    nonce = _verified_nonce(context.signing_key, token)
    if nonce is None:
        return await _refuse(request, context, "forged", None)
    access = _access(context)
    now = now_of(context)
    use = await access.consume_link(_sha256(nonce), now)
    if use.state != "ok" or use.telegram_user_id is None or use.display_name is None:
        return await _refuse(request, context, use.state, use.telegram_user_id)
    # Links go only to staff, but someone may have left the staff since it was sent.
    if not await context.is_staff(use.telegram_user_id):
        return await _refuse(request, context, "not_staff", use.telegram_user_id)
    staff = await context.repository.upsert_staff(use.telegram_user_id, use.display_name)
    # A session this browser still held ends: one browser, one session.
    previous = await _session(context, request.cookies.get(cookie_name(context)))
    if previous is not None:
        await access.revoke_session(previous.session_id, now)
    secret = secrets.token_urlsafe(32)
    session_id = await access.add_session(
        _sha256(secret.encode()), staff.id, now, now + SESSION_LIFETIME
    )
    await context.repository.audit(
        actor_type="staff",
        actor_id=str(staff.id),
        action="console_sign_in",
        details={"session": session_id},
    )
    log.info("console sign-in", extra={"staff_member_id": staff.id})
    response = RedirectResponse("/cases", status_code=303)
    response.headers["Referrer-Policy"] = "no-referrer"
    _set_cookie(response, context, secret)
    return response


async def signout(request: Request) -> Response:
    """End this session and clear its cookie (the middleware checked the CSRF token)."""
    await require_csrf(request)
    context = context_of(request)
    staff = staff_of(request)
    await _access(context).revoke_session(staff.session_id, now_of(context))
    await context.repository.audit(
        actor_type="staff",
        actor_id=str(staff.staff_id),
        action="console_sign_out",
        details={"session": staff.session_id},
    )
    response = RedirectResponse("/signin?signed_out=1", status_code=303)
    _clear_cookie(response, context)
    return response


routes: list[BaseRoute] = [
    Route("/signin", signin, methods=["GET"], name="signin"),
    Route("/signout", signout, methods=["POST"], name="signout"),
]


# -- the guard --------------------------------------------------------------------------


def is_public(path: str) -> bool:
    """Paths anyone may reach: sign-in, static files, the operator endpoints."""
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


class _BodyTooLarge(Exception):
    pass


async def _read_body(receive: Receive) -> bytes | None:
    """The whole request body, or None when the client went away."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            raise _BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that hands out the body already read, then listens to the client again."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _form_token(scope: Scope, body: bytes, receive: Receive) -> object:
    try:
        form = await Request(scope, _replay(body, receive)).form()
    except Exception:  # a malformed body carries no valid token
        return None
    try:
        return form.get(CSRF_FIELD)
    finally:
        await form.close()


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
        record = await _session(context, secret)
        if record is None or secret is None:
            await _denied(request, context, clear=secret is not None)(scope, receive, send)
            return
        if not await context.is_staff(record.telegram_user_id):
            await _end_access(context, record)
            await _denied(request, context, clear=True)(scope, receive, send)
            return
        staff = _staff_session(context, record, secret)
        if scope["method"] in UNSAFE_METHODS:
            token: object = request.headers.get(CSRF_HEADER)
            if token is None:
                try:
                    body = await _read_body(receive)
                except _BodyTooLarge:
                    await PlainTextResponse("Request too large.", 413)(scope, receive, send)
                    return
                if body is None:
                    return
                token = await _form_token(scope, body, receive)
                receive = _replay(body, receive)
            if not _csrf_matches(staff, token):
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
        _clear_cookie(response, context)
    return response


async def _end_access(context: ConsoleContext, record: SessionRecord) -> None:
    """Someone who is no longer staff: their sessions end now, and the log says so."""
    await _access(context).revoke_sessions_of(record.staff_member_id, now_of(context))
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
