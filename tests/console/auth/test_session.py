"""The console session: its cookie, its lifetime, and the staff check on every request.

The probe routes and the clock are tests/console/auth/conftest.py's.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa

from console.auth import SESSION_LIFETIME, create_sign_in_link
from console.context import ConsoleContext
from storage import Database
from storage.models import ConsoleSession, ConsoleSignInLink
from tests.console.auth.conftest import Clock
from tests.console.auth.helpers import (
    HTML,
    cookie_attributes,
    cookie_header,
    link_path,
    link_token,
)
from tests.console.conftest import STAFF_ID, STAFF_NAME, SignIn
from tests.console.seed import audit_rows

pytestmark = pytest.mark.asyncio


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
    cleared = cookie_attributes(cookie_header(response))
    assert cleared["max-age"] == "0"


async def test_the_database_keeps_only_hashes(
    context: ConsoleContext, client: httpx.AsyncClient, database: Database
) -> None:
    link = await create_sign_in_link(context, STAFF_ID, STAFF_NAME)
    response = await client.get(link_path(link))
    cookie = cookie_header(response).split(";")[0].split("=", 1)[1]
    async with database.session() as session:
        links = list(await session.scalars(sa.select(ConsoleSignInLink.token_sha256)))
        sessions = list(await session.scalars(sa.select(ConsoleSession.token_sha256)))
    token = link_token(link)
    assert len(links) == 1 and len(sessions) == 1
    assert all(part not in links[0] for part in token.split("."))
    assert sessions[0] == hashlib.sha256(cookie.encode()).hexdigest() != cookie


async def test_no_link_or_cookie_is_logged(
    context: ConsoleContext, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    link = await create_sign_in_link(context, STAFF_ID, STAFF_NAME)
    response = await client.get(link_path(link))
    await client.get(link_path(link))
    cookie = cookie_header(response).split(";")[0].split("=", 1)[1]
    # Our own loggers (the test's HTTP client and the database driver log what they like).
    ours = [r for r in caplog.records if r.name.split(".")[0] in ("console", "storage", "bot")]
    assert any(r.name.startswith("console.auth.") for r in ours)
    logged = "\n".join(f"{record.getMessage()} {record.__dict__}" for record in ours)
    assert link_token(link) not in logged and cookie not in logged and STAFF_NAME not in logged


async def test_someone_taken_off_the_staff_loses_access_at_the_next_request(
    sign_in: SignIn, client: httpx.AsyncClient, staff_ids: set[int], database: Database
) -> None:
    await sign_in()
    assert (await client.get("/probe/whoami")).status_code == 200

    staff_ids.discard(STAFF_ID)
    refused = await client.get("/probe/whoami", headers=HTML)
    assert refused.status_code == 303 and refused.headers["location"] == "/signin"
    [ended] = await audit_rows(database, "console_access_ended")
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
