"""The sign-in and sign-out routes: a one-time link becomes a session, and ends."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from console.auth.csrf import require_csrf
from console.auth.sessions import (
    SESSION_LIFETIME,
    clear_cookie,
    cookie_name,
    live_session,
    set_cookie,
    staff_of,
    template_context,
)
from console.auth.tokens import access_of, now_of, sha256, verified_nonce
from console.auth.unavailable import access_unknown
from console.context import ConsoleContext, StaffCheckUnavailable, context_of
from console.templating import templates

log = logging.getLogger(__name__)

_REFUSALS = {
    "expired": "This sign-in link has expired: links work for 10 minutes.",
    "used": "This sign-in link has been used already: each link works once.",
}
_GENERIC_REFUSAL = "This sign-in link is not valid."


def _signin_page(request: Request, status_code: int, **values: Any) -> Response:
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
    nonce = verified_nonce(context.signing_key, token)
    if nonce is None:
        return await _refuse(request, context, "forged", None)
    access = access_of(context)
    now = now_of(context)
    link = await access.peek_link(sha256(nonce), now)
    if link.state != "ok" or link.telegram_user_id is None:
        return await _refuse(request, context, link.state, link.telegram_user_id)
    # Links go only to staff, but someone may have left the staff since it was sent. Asked
    # before the link is used up, so a Telegram outage leaves it working for a retry.
    try:
        still_staff = await context.is_staff(link.telegram_user_id)
    except StaffCheckUnavailable:
        return access_unknown(request, signing_in=True)
    use = await access.consume_link(sha256(nonce), now)
    if use.state != "ok" or use.telegram_user_id is None or use.display_name is None:
        return await _refuse(request, context, use.state, use.telegram_user_id)
    if not still_staff:
        return await _refuse(request, context, "not_staff", use.telegram_user_id)
    staff = await context.repository.upsert_staff(use.telegram_user_id, use.display_name)
    # A session this browser still held ends: one browser, one session.
    previous = await live_session(context, request.cookies.get(cookie_name(context)))
    if previous is not None:
        await access.revoke_session(previous.session_id, now)
    secret = secrets.token_urlsafe(32)
    session_id = await access.add_session(
        sha256(secret.encode()), staff.id, now, now + SESSION_LIFETIME
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
    set_cookie(response, context, secret)
    return response


async def signout(request: Request) -> Response:
    """End this session and clear its cookie (the middleware checked the CSRF token)."""
    await require_csrf(request)
    context = context_of(request)
    staff = staff_of(request)
    await access_of(context).revoke_session(staff.session_id, now_of(context))
    await context.repository.audit(
        actor_type="staff",
        actor_id=str(staff.staff_id),
        action="console_sign_out",
        details={"session": staff.session_id},
    )
    response = RedirectResponse("/signin?signed_out=1", status_code=303)
    clear_cookie(response, context)
    return response


routes: list[BaseRoute] = [
    Route("/signin", signin, methods=["GET"], name="signin"),
    Route("/signout", signout, methods=["POST"], name="signout"),
]
