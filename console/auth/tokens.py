"""Signed one-time sign-in links: making them, and checking a token's signature."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from console.context import ConsoleContext
from storage.console_access import ConsoleAccess
from storage.timeutil import utcnow

LINK_LIFETIME = timedelta(minutes=10)
# `context.extra[CLOCK]`, when set, is the console's clock (tests move it forward).
CLOCK = "clock"

LINK_PURPOSE = b"console-link"
CSRF_PURPOSE = b"console-csrf"
NONCE_BYTES = 24


def now_of(context: ConsoleContext) -> datetime:
    """The console's current time (aware UTC)."""
    clock: Callable[[], datetime] | None = context.extra.get(CLOCK)
    return clock() if clock is not None else utcnow()


def b64(raw: bytes) -> str:
    """URL-safe base64 without padding."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None


def mac(key: bytes, purpose: bytes, value: bytes) -> bytes:
    """An HMAC-SHA256 of the value, bound to its purpose (a link, a CSRF token)."""
    return hmac.new(key, purpose + b"\x00" + value, hashlib.sha256).digest()


def sha256(value: bytes) -> str:
    """What the database keeps of a secret."""
    return hashlib.sha256(value).hexdigest()


def verified_nonce(key: bytes, token: str) -> bytes | None:
    """The link's nonce if its signature is ours, else None (forged or tampered)."""
    nonce_text, dot, signature_text = token.partition(".")
    if not dot or len(token) > 200:
        return None
    nonce, signature = _unb64(nonce_text), _unb64(signature_text)
    if nonce is None or signature is None or len(nonce) != NONCE_BYTES:
        return None
    if not hmac.compare_digest(signature, mac(key, LINK_PURPOSE, nonce)):
        return None
    return nonce


def access_of(context: ConsoleContext) -> ConsoleAccess:
    """The stored links and sessions."""
    return ConsoleAccess(context.database)


async def create_sign_in_link(
    context: ConsoleContext, telegram_user_id: int, display_name: str
) -> str:
    """A signed one-time sign-in link, valid for ten minutes. The URL is a secret: never log it."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    token = f"{b64(nonce)}.{b64(mac(context.signing_key, LINK_PURPOSE, nonce))}"
    now = now_of(context)
    await access_of(context).add_link(
        sha256(nonce), telegram_user_id, display_name[:255], now, now + LINK_LIFETIME
    )
    return f"{context.settings.public_url.rstrip('/')}/signin?token={token}"
