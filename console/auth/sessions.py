"""Console sessions: the cookie, the session it names, and who is signed in on a request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from console.auth.tokens import CSRF_PURPOSE, access_of, b64, mac, now_of, sha256
from console.context import ConsoleContext
from storage.console_access import SessionRecord

SESSION_LIFETIME = timedelta(hours=12)
# With Secure, the __Host- prefix also makes browsers refuse the cookie from a subdomain
# or with a Domain attribute.
COOKIE = "console_session"
SECURE_COOKIE = "__Host-console_session"


@dataclass(frozen=True)
class StaffSession:
    """Who is signed in on this request (`request.state.staff`)."""

    staff_id: int  # staff_members.id
    telegram_user_id: int
    display_name: str
    csrf_token: str
    session_id: int  # console_sessions.id


def cookie_name(context: ConsoleContext) -> str:
    """The session cookie's name: __Host- prefixed when cookies are Secure."""
    return SECURE_COOKIE if context.settings.secure_cookies else COOKIE


def csrf_for(key: bytes, session_secret: str) -> str:
    """The session's CSRF token; derived from the cookie's secret, so nothing more is stored."""
    return b64(mac(key, CSRF_PURPOSE, session_secret.encode("ascii")))


async def live_session(context: ConsoleContext, secret: str | None) -> SessionRecord | None:
    """The live session this cookie value names, if any."""
    if not secret or len(secret) > 200:
        return None
    return await access_of(context).live_session(sha256(secret.encode()), now_of(context))


def staff_session(context: ConsoleContext, record: SessionRecord, secret: str) -> StaffSession:
    """The request's view of a live session."""
    return StaffSession(
        staff_id=record.staff_member_id,
        telegram_user_id=record.telegram_user_id,
        display_name=record.display_name,
        csrf_token=csrf_for(context.signing_key, secret),
        session_id=record.session_id,
    )


def set_cookie(response: Response, context: ConsoleContext, secret: str) -> None:
    """Hand the browser its session cookie."""
    response.set_cookie(
        cookie_name(context),
        secret,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        path="/",
        secure=context.settings.secure_cookies,
        httponly=True,
        samesite="strict",
    )


def clear_cookie(response: Response, context: ConsoleContext) -> None:
    """Tell the browser to forget its session cookie."""
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
