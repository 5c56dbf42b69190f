"""CSRF: every request that changes something needs the session's own token.

The probe routes and the clock are tests/console/auth/conftest.py's.
"""

from __future__ import annotations

import httpx
import pytest

from console.auth import create_sign_in_link
from console.context import ConsoleContext
from storage import Database
from tests.console.auth.helpers import (
    cookie_attributes,
    cookie_header,
    csrf_of,
    link_path,
)
from tests.console.conftest import STAFF_ID, STAFF_NAME, SignIn
from tests.console.seed import audit_rows

pytestmark = pytest.mark.asyncio


@pytest.mark.parametrize("form", [{}, {"csrf_token": ""}, {"csrf_token": "wrong"}])
async def test_signout_needs_the_sessions_csrf_token(
    sign_in: SignIn, client: httpx.AsyncClient, form: dict[str, str], database: Database
) -> None:
    await sign_in()
    response = await client.post("/signout", data=form)
    assert response.status_code == 403
    # Still signed in: the forged sign-out did nothing.
    assert (await client.get("/probe/whoami")).status_code == 200
    assert len(await audit_rows(database, "console_csrf_refused")) == 1


async def test_signout_ends_the_session_and_clears_the_cookie(
    sign_in: SignIn, client: httpx.AsyncClient, database: Database
) -> None:
    await sign_in()
    token = await csrf_of(client)
    old = client.cookies["console_session"]
    response = await client.post("/signout", data={"csrf_token": token})
    assert response.status_code == 303
    assert response.headers["location"] == "/signin?signed_out=1"
    assert cookie_attributes(cookie_header(response))["max-age"] == "0"
    assert len(await audit_rows(database, "console_sign_out")) == 1
    again = await client.get("/probe/whoami", headers={"Cookie": f"console_session={old}"})
    assert again.status_code == 401
    assert "signed out" in (await client.get("/signin?signed_out=1")).text


async def test_every_changing_request_needs_the_csrf_token(
    sign_in: SignIn, client: httpx.AsyncClient, changes: list[dict[str, str]]
) -> None:
    await sign_in()
    token = await csrf_of(client)
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
    assert (await other_client.get(link_path(link))).status_code == 303
    theirs = await csrf_of(other_client)
    assert theirs != await csrf_of(client)
    assert (await client.post("/probe/change", data={"csrf_token": theirs})).status_code == 403
