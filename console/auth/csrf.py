"""CSRF: every changing request carries its session's token, in the form or a header."""

from __future__ import annotations

import hmac

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import Message, Receive, Scope

from console.auth.sessions import StaffSession, staff_of

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
# The largest request body the CSRF check reads into memory; the console takes no uploads.
MAX_FORM_BYTES = 2_000_000


class BodyTooLarge(Exception):
    """The request body is over MAX_FORM_BYTES."""


def csrf_matches(staff: StaffSession, token: object) -> bool:
    """Whether the token is this session's (in constant time)."""
    return isinstance(token, str) and hmac.compare_digest(
        token.encode("utf-8", "replace"), staff.csrf_token.encode("ascii")
    )


async def require_csrf(request: Request) -> FormData:
    """The request's form once its CSRF token is this session's; 403 otherwise."""
    staff = staff_of(request)
    form = await request.form()
    token = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
    if not csrf_matches(staff, token):
        raise HTTPException(403, "missing or wrong CSRF token")
    return form


async def read_body(receive: Receive) -> bytes | None:
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
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def replay(body: bytes, receive: Receive) -> Receive:
    """A receive that hands out the body already read, then listens to the client again."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


async def form_token(scope: Scope, body: bytes, receive: Receive) -> object:
    """The CSRF field of a form body already read; None when it is not a form."""
    try:
        form = await Request(scope, replay(body, receive)).form()
    except Exception:  # a malformed body carries no valid token
        return None
    try:
        return form.get(CSRF_FIELD)
    finally:
        await form.close()
