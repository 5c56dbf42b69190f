"""Only staff get in: one-time links from the bot, a session cookie, CSRF, a fresh staff check.

- `/console` in a private chat with the bot sends a staff member a link made by
  `create_sign_in_link` (tokens.py): a random nonce with an HMAC signature (the console's
  signing key), valid for ten minutes and once (its hash is stored; using it is a
  conditional UPDATE, so two uses at once cannot both win).
- `/signin?token=...` (signin.py) turns it into a session (sessions.py): a random cookie
  (HttpOnly, SameSite=Strict, Secure with an https public URL) whose hash is stored, for
  twelve hours.
- `StaffOnlyMiddleware` (guard.py) guards every path but the public ones: a live session,
  and on every request the staff check (staff group membership asked afresh, or
  STAFF_USER_IDS), so someone who left the staff loses access at the next request; when
  Telegram cannot be asked, a 503 and nothing revoked (unavailable.py). For every POST,
  PUT, PATCH or DELETE the session's CSRF token (csrf.py), from the form's `csrf_token`
  field or the `X-CSRF-Token` header.

Pages render with `template_context(request)`, which base.html needs (staff, csrf_token);
form handlers read their form with `await require_csrf(request)`.
"""

from __future__ import annotations

from console.auth.csrf import CSRF_FIELD, CSRF_HEADER, require_csrf
from console.auth.guard import PUBLIC_PATHS, StaffOnlyMiddleware, is_public
from console.auth.sessions import (
    COOKIE,
    SECURE_COOKIE,
    SESSION_LIFETIME,
    StaffSession,
    cookie_name,
    staff_of,
    template_context,
)
from console.auth.signin import routes
from console.auth.tokens import CLOCK, LINK_LIFETIME, create_sign_in_link, now_of

__all__ = [
    "CLOCK",
    "COOKIE",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "LINK_LIFETIME",
    "PUBLIC_PATHS",
    "SECURE_COOKIE",
    "SESSION_LIFETIME",
    "StaffOnlyMiddleware",
    "StaffSession",
    "cookie_name",
    "create_sign_in_link",
    "is_public",
    "now_of",
    "require_csrf",
    "routes",
    "staff_of",
    "template_context",
]
