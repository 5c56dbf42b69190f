"""Only staff get in: one-time links, session cookies, CSRF, and the staff check per request.

Two probe routes stand for the console's pages, so these tests do not depend on them:
GET /probe/whoami (any signed-in page) and POST /probe/change (any form that changes
something, read through `require_csrf`).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import secrets
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import pytest_asyncio
import sqlalchemy as sa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.config import ConsoleSettings
from console.auth import (
    CLOCK,
    LINK_LIFETIME,
    SESSION_LIFETIME,
    create_sign_in_link,
    require_csrf,
    staff_of,
    template_context,
)
from console.context import ConsoleContext
from storage import Database
from storage.models import AuditEvent, ConsoleSession, ConsoleSignInLink
from tests.console.conftest import CONSOLE_URL, OUTSIDER_ID, STAFF_ID, STAFF_NAME, SignIn

pytestmark = pytest.mark.asyncio

HTML = {"Accept": "text/html,application/xhtml+xml"}


class Clock:
    """The console's clock, moved by hand: no test waits ten minutes."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def changes() -> list[dict[str, str]]:
    """The forms /probe/change accepted."""
    return []


@pytest.fixture(autouse=True)
def probe_routes(app: Starlette, changes: list[dict[str, str]]) -> None:
    async def whoami(request: Request) -> Response:
        staff = staff_of(request)
        values = template_context(request)
        return JSONResponse(
            {"name": staff.display_name, "staff_id": staff.staff_id, "csrf": values["csrf_token"]}
        )

    async def change(request: Request) -> Response:
        form = await require_csrf(request)
        changes.append({key: str(value) for key, value in form.items()})
        return PlainTextResponse("changed")

    app.router.routes.append(Route("/probe/whoami", whoami))
    app.router.routes.append(Route("/probe/change", change, methods=["POST", "DELETE"]))


@pytest.fixture
def clock(context: ConsoleContext) -> Clock:
    ticking = Clock()
    context.extra[CLOCK] = ticking
    return ticking


@pytest_asyncio.fixture
async def other_client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """A second browser."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=CONSOLE_URL) as http:
        yield http


def _path(link: str) -> str:
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


def _token(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _cookie_header(response: httpx.Response) -> str:
    cookies = response.headers.get_list("set-cookie")
    assert len(cookies) == 1, cookies
    return cookies[0]


def _attributes(set_cookie: str) -> dict[str, str]:
    parts = [part.strip() for part in set_cookie.split(";")]
    return {p.split("=", 1)[0].lower(): [*p.split("=", 1), ""][1] for p in parts[1:]}


async def _audit(database: Database, action: str) -> list[AuditEvent]:
    async with database.session() as session:
        rows = await session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action))
        return list(rows)


async def _csrf(client: httpx.AsyncClient) -> str:
    response = await client.get("/probe/whoami")
    assert response.status_code == 200, response.text
    return str(response.json()["csrf"])


# -- the link ---------------------------------------------------------------------------


async def test_a_link_signs_in_once_and_opens_the_pages(
    context: ConsoleContext, client: httpx.AsyncClient, database: Database
) -> None:
    link = await create_sign_in_link(context, STAFF_ID, STAFF_NAME)
    assert link.startswith(f"{CONSOLE_URL}/signin?token=")

    response = await client.get(_path(link))
    assert response.status_code == 303
    assert response.headers["location"] == "/cases"
    assert response.headers["referrer-policy"] == "no-referrer"

    page = await client.get("/probe/whoami")
    assert page.status_code == 200
    assert page.json()["name"] == STAFF_NAME
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-frame-options"] == "DENY"
    [signed_in] = await _audit(database, "console_sign_in")
    assert signed_in.actor_type == "staff"
    assert signed_in.actor_id == str(page.json()["staff_id"])


async def test_the_session_cookie_is_httponly_strict_and_not_secure_over_http(
    context: ConsoleContext, client: httpx.AsyncClient
) -> None:
    link = await create_sign_in_link(context, STAFF_ID, STAFF_NAME)
    set_cookie = _cookie_header(await client.get(_path(link)))
    attributes = _attributes(set_cookie)
    assert set_cookie.startswith("console_session=")
    assert "httponly" in attributes
    assert attributes["samesite"].lower() == "strict"
    assert attributes["path"] == "/"
    assert int(attributes["max-age"]) == int(SESSION_LIFETIME.total_seconds())
    assert "secure" not in attributes


async def test_the_session_cookie_is_secure_with_an_https_public_url(
    context: ConsoleContext, client: httpx.AsyncClient
) -> None:
    context.settings = ConsoleSettings(
        host="127.0.0.1", port=0, public_url="https://console.example.org"
    )
    link = await create_sign_in_link(context, STAFF_ID, STAFF_NAME)
    assert link.startswith("https://console.example.org/signin?token=")
    set_cookie = _cookie_header(await client.get(_path(link)))
    attributes = _attributes(set_cookie)
    # __Host-: browsers accept it only Secure, on Path=/, without a Domain.
    assert set_cookie.startswith("__Host-console_session=")
    assert "secure" in attributes and "httponly" in attributes
    assert attributes["samesite"].lower() == "strict"
    assert "domain" not in attributes


async def test_an_expired_link_is_refused(
    context: ConsoleContext, client: httpx.AsyncClient, clock: Clock, database: Database
) -> None:
    almost = await create_sign_in_link(context, STAFF_ID, STAFF_NAME)
    late = await create_sign_in_link(context, STAFF_ID, STAFF_NAME)
    clock.advance(LINK_LIFETIME - timedelta(seconds=1))
    assert (await client.get(_path(almost))).status_code == 303

    clock.advance(timedelta(seconds=1))
    response = await client.get(_path(late))
    assert response.status_code == 403
    assert "expired" in response.text
    assert "/console" in response.text
    assert not response.headers.get_list("set-cookie")
    [refused] = await _audit(database, "console_sign_in_refused")
    assert refused.details == {"reason": "expired"}


async def test_a_link_works_once(
    context: ConsoleContext, client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    link = await create_sign_in_link(context, STAFF_ID, STAFF_NAME)
    assert (await client.get(_path(link))).status_code == 303

    again = await other_client.get(_path(link))
    assert again.status_code == 403
    assert "used already" in again.text and "/console" in again.text
    assert not again.headers.get_list("set-cookie")
    assert (await other_client.get("/probe/whoami")).status_code == 401


async def test_a_head_request_does_not_use_the_link_up(
    context: ConsoleContext, client: httpx.AsyncClient
) -> None:
    link = await create_sign_in_link(context, STAFF_ID, STAFF_NAME)
    assert (await client.head(_path(link))).status_code == 200
    assert (await client.get(_path(link))).status_code == 303


async def test_two_uses_at_once_sign_in_only_one(
    context: ConsoleContext, client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    link = await create_sign_in_link(context, STAFF_ID, STAFF_NAME)
    first, second = await asyncio.gather(client.get(_path(link)), other_client.get(_path(link)))
    assert sorted([first.status_code, second.status_code]) == [303, 403]


def _wrong_key(token: str) -> str:
    nonce = token.split(".")[0]
    raw = base64.urlsafe_b64decode(nonce + "=" * (-len(nonce) % 4))
    forged = hmac.new(b"not our key", b"console-link\x00" + raw, hashlib.sha256).digest()
    return f"{nonce}.{_b64(forged)}"


def _other_nonce(token: str) -> str:
    return f"{_b64(secrets.token_bytes(24))}.{token.split('.')[1]}"


def _flip_signature(token: str) -> str:
    # The first character of the signature: all six of its bits count (the last one's
    # lowest two are padding, so changing it may change nothing).
    nonce, signature = token.split(".")
    return f"{nonce}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(_wrong_key, id="signed-with-another-key"),
        pytest.param(_other_nonce, id="nonce-replaced"),
        pytest.param(_flip_signature, id="signature-altered"),
        pytest.param(lambda token: token.split(".")[0], id="no-signature"),
        pytest.param(lambda token: "", id="empty"),
        pytest.param(lambda token: "' OR 1=1 --<script>", id="garbage"),
    ],
)
async def test_a_forged_or_tampered_link_is_refused(
    context: ConsoleContext,
    client: httpx.AsyncClient,
    database: Database,
    tamper: Callable[[str], str],
) -> None:
    link = await create_sign_in_link(context, STAFF_ID, STAFF_NAME)
    response = await client.get("/signin", params={"token": tamper(_token(link))})
    assert response.status_code == 403
    assert "/console" in response.text
    assert "<script>" not in response.text
    assert not response.headers.get_list("set-cookie")
    [refused] = await _audit(database, "console_sign_in_refused")
    assert refused.details == {"reason": "forged"}
    # The genuine link was not used up by the forgeries.
    assert (await client.get(_path(link))).status_code == 303


async def test_a_well_signed_token_that_was_never_issued_is_refused(
    context: ConsoleContext, client: httpx.AsyncClient
) -> None:
    nonce = secrets.token_bytes(24)
    signature = hmac.new(context.signing_key, b"console-link\x00" + nonce, hashlib.sha256)
    token = f"{_b64(nonce)}.{_b64(signature.digest())}"
    response = await client.get("/signin", params={"token": token})
    assert response.status_code == 403


async def test_a_link_for_someone_who_is_not_staff_is_refused(
    context: ConsoleContext, client: httpx.AsyncClient, database: Database
) -> None:
    link = await create_sign_in_link(context, OUTSIDER_ID, "Mallory")
    response = await client.get(_path(link))
    assert response.status_code == 403
    assert not response.headers.get_list("set-cookie")
    [refused] = await _audit(database, "console_sign_in_refused")
    assert refused.details == {"reason": "not_staff"}
    # Pseudonymous: neither the Telegram id nor the name is in the audit log.
    assert refused.actor_id == context.repository.pseudonym_for(OUTSIDER_ID)
    assert str(OUTSIDER_ID) not in refused.actor_id and "Mallory" not in str(refused.details)
    assert await context.repository.staff_by_telegram_id(OUTSIDER_ID) is None


async def test_the_help_page_and_static_files_need_no_session(client: httpx.AsyncClient) -> None:
    help_page = await client.get("/signin")
    assert help_page.status_code == 200
    assert "/console" in help_page.text
    assert (await client.get("/static/console.css")).status_code == 200


# -- the session ------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/probe/whoami", "/cases", "/no/such/page"])
async def test_without_a_cookie_nothing_but_the_public_pages(
    client: httpx.AsyncClient, path: str
) -> None:
    browser = await client.get(path, headers=HTML)
    assert browser.status_code == 303
    assert browser.headers["location"] == "/signin"
    assert (await client.get(path)).status_code == 401
    assert (await client.post(path, data={"csrf_token": "x"})).status_code == 401


async def test_a_bogus_cookie_is_refused_and_cleared(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/probe/whoami", headers={"Cookie": f"console_session={secrets.token_urlsafe(32)}"}
    )
    assert response.status_code == 401
    cleared = _attributes(_cookie_header(response))
    assert cleared["max-age"] == "0"


async def test_the_database_keeps_only_hashes(
    context: ConsoleContext, client: httpx.AsyncClient, database: Database
) -> None:
    link = await create_sign_in_link(context, STAFF_ID, STAFF_NAME)
    response = await client.get(_path(link))
    cookie = _cookie_header(response).split(";")[0].split("=", 1)[1]
    async with database.session() as session:
        links = list(await session.scalars(sa.select(ConsoleSignInLink.token_sha256)))
        sessions = list(await session.scalars(sa.select(ConsoleSession.token_sha256)))
    token = _token(link)
    assert len(links) == 1 and len(sessions) == 1
    assert all(part not in links[0] for part in token.split("."))
    assert sessions[0] == hashlib.sha256(cookie.encode()).hexdigest() != cookie


async def test_no_link_or_cookie_is_logged(
    context: ConsoleContext, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    link = await create_sign_in_link(context, STAFF_ID, STAFF_NAME)
    response = await client.get(_path(link))
    await client.get(_path(link))
    cookie = _cookie_header(response).split(";")[0].split("=", 1)[1]
    # Our own loggers (the test's HTTP client and the database driver log what they like).
    ours = [r for r in caplog.records if r.name.split(".")[0] in ("console", "storage", "bot")]
    assert any(r.name.startswith("console.auth.") for r in ours)
    logged = "\n".join(f"{record.getMessage()} {record.__dict__}" for record in ours)
    assert _token(link) not in logged and cookie not in logged and STAFF_NAME not in logged


async def test_someone_taken_off_the_staff_loses_access_at_the_next_request(
    sign_in: SignIn, client: httpx.AsyncClient, staff_ids: set[int], database: Database
) -> None:
    await sign_in()
    assert (await client.get("/probe/whoami")).status_code == 200

    staff_ids.discard(STAFF_ID)
    refused = await client.get("/probe/whoami", headers=HTML)
    assert refused.status_code == 303 and refused.headers["location"] == "/signin"
    [ended] = await _audit(database, "console_access_ended")
    assert ended.details is not None and ended.details["reason"] == "not_staff"

    # The session is revoked, not merely refused: coming back to the staff needs a new link.
    staff_ids.add(STAFF_ID)
    assert (await client.get("/probe/whoami")).status_code == 401


async def test_a_session_ends_after_its_lifetime(
    sign_in: SignIn, client: httpx.AsyncClient, clock: Clock
) -> None:
    await sign_in()
    clock.advance(SESSION_LIFETIME - timedelta(seconds=1))
    assert (await client.get("/probe/whoami")).status_code == 200
    clock.advance(timedelta(seconds=1))
    assert (await client.get("/probe/whoami")).status_code == 401


async def test_signing_in_again_ends_the_browsers_previous_session(
    sign_in: SignIn, client: httpx.AsyncClient
) -> None:
    await sign_in()
    old = dict(client.cookies)
    await sign_in()
    assert dict(client.cookies) != old
    response = await client.get(
        "/probe/whoami", headers={"Cookie": f"console_session={old['console_session']}"}
    )
    assert response.status_code == 401


# -- CSRF -------------------------------------------------------------------------------


@pytest.mark.parametrize("form", [{}, {"csrf_token": ""}, {"csrf_token": "wrong"}])
async def test_signout_needs_the_sessions_csrf_token(
    sign_in: SignIn, client: httpx.AsyncClient, form: dict[str, str], database: Database
) -> None:
    await sign_in()
    response = await client.post("/signout", data=form)
    assert response.status_code == 403
    # Still signed in: the forged sign-out did nothing.
    assert (await client.get("/probe/whoami")).status_code == 200
    assert len(await _audit(database, "console_csrf_refused")) == 1


async def test_signout_ends_the_session_and_clears_the_cookie(
    sign_in: SignIn, client: httpx.AsyncClient, database: Database
) -> None:
    await sign_in()
    token = await _csrf(client)
    old = client.cookies["console_session"]
    response = await client.post("/signout", data={"csrf_token": token})
    assert response.status_code == 303
    assert response.headers["location"] == "/signin?signed_out=1"
    assert _attributes(_cookie_header(response))["max-age"] == "0"
    assert len(await _audit(database, "console_sign_out")) == 1
    again = await client.get("/probe/whoami", headers={"Cookie": f"console_session={old}"})
    assert again.status_code == 401
    assert "signed out" in (await client.get("/signin?signed_out=1")).text


async def test_every_changing_request_needs_the_csrf_token(
    sign_in: SignIn, client: httpx.AsyncClient, changes: list[dict[str, str]]
) -> None:
    await sign_in()
    token = await _csrf(client)
    assert (await client.post("/probe/change", data={"note": "x"})).status_code == 403
    assert (await client.delete("/probe/change")).status_code == 403
    assert (
        await client.post("/probe/change", data={"note": "x", "csrf_token": token + "x"})
    ).status_code == 403
    assert changes == []

    ok = await client.post("/probe/change", data={"note": "kept", "csrf_token": token})
    assert ok.status_code == 200
    multipart = await client.post(
        "/probe/change", data={"csrf_token": token}, files={"file": ("a.txt", b"hello")}
    )
    assert multipart.status_code == 200
    by_header = await client.delete("/probe/change", headers={"X-CSRF-Token": token})
    assert by_header.status_code == 200
    # The middleware read the body to check it, and the handler still got the whole form.
    assert changes[0] == {"note": "kept", "csrf_token": token}
    assert len(changes) == 3


async def test_another_sessions_csrf_token_does_not_do(
    sign_in: SignIn,
    context: ConsoleContext,
    client: httpx.AsyncClient,
    other_client: httpx.AsyncClient,
) -> None:
    await sign_in()
    link = await create_sign_in_link(context, STAFF_ID, STAFF_NAME)
    assert (await other_client.get(_path(link))).status_code == 303
    theirs = await _csrf(other_client)
    assert theirs != await _csrf(client)
    assert (await client.post("/probe/change", data={"csrf_token": theirs})).status_code == 403
