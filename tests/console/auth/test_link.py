"""Only staff get in, by a one-time sign-in link: signed, short-lived, used once.

The probe routes and the clock are tests/console/auth/conftest.py's.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest

from bot.config import ConsoleSettings
from console.auth import LINK_LIFETIME, SESSION_LIFETIME, create_sign_in_link
from console.context import ConsoleContext
from storage import Database
from tests.console.auth.conftest import Clock
from tests.console.auth.helpers import (
    b64,
    cookie_attributes,
    cookie_header,
    link_path,
    link_token,
)
from tests.console.conftest import CONSOLE_URL, OUTSIDER_ID, STAFF_ID, STAFF_NAME
from tests.console.seed import audit_rows

pytestmark = pytest.mark.asyncio


async def test_a_link_signs_in_once_and_opens_the_pages(
    context: ConsoleContext, client: httpx.AsyncClient, database: Database
) -> None:
    link = await create_sign_in_link(context, STAFF_ID, STAFF_NAME)
    assert link.startswith(f"{CONSOLE_URL}/signin?token=")

    response = await client.get(link_path(link))
    assert response.status_code == 303
    assert response.headers["location"] == "/cases"
    assert response.headers["referrer-policy"] == "no-referrer"

    page = await client.get("/probe/whoami")
    assert page.status_code == 200
    assert page.json()["name"] == STAFF_NAME
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-frame-options"] == "DENY"
    [signed_in] = await audit_rows(database, "console_sign_in")
    assert signed_in.actor_type == "staff"
    assert signed_in.actor_id == str(page.json()["staff_id"])


async def test_the_session_cookie_is_httponly_strict_and_not_secure_over_http(
    context: ConsoleContext, client: httpx.AsyncClient
) -> None:
    link = await create_sign_in_link(context, STAFF_ID, STAFF_NAME)
    set_cookie = cookie_header(await client.get(link_path(link)))
    attributes = cookie_attributes(set_cookie)
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
    set_cookie = cookie_header(await client.get(link_path(link)))
    attributes = cookie_attributes(set_cookie)
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
    assert (await client.get(link_path(almost))).status_code == 303

    clock.advance(timedelta(seconds=1))
    response = await client.get(link_path(late))
    assert response.status_code == 403
    assert "expired" in response.text
    assert "/console" in response.text
    assert not response.headers.get_list("set-cookie")
    [refused] = await audit_rows(database, "console_sign_in_refused")
    assert refused.details == {"reason": "expired"}


async def test_a_link_works_once(
    context: ConsoleContext, client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    link = await create_sign_in_link(context, STAFF_ID, STAFF_NAME)
    assert (await client.get(link_path(link))).status_code == 303

    again = await other_client.get(link_path(link))
    assert again.status_code == 403
    assert "used already" in again.text and "/console" in again.text
    assert not again.headers.get_list("set-cookie")
    assert (await other_client.get("/probe/whoami")).status_code == 401


async def test_a_head_request_does_not_use_the_link_up(
    context: ConsoleContext, client: httpx.AsyncClient
) -> None:
    link = await create_sign_in_link(context, STAFF_ID, STAFF_NAME)
    assert (await client.head(link_path(link))).status_code == 200
    assert (await client.get(link_path(link))).status_code == 303


async def test_two_uses_at_once_sign_in_only_one(
    context: ConsoleContext, client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    link = await create_sign_in_link(context, STAFF_ID, STAFF_NAME)
    first, second = await asyncio.gather(
        client.get(link_path(link)), other_client.get(link_path(link))
    )
    assert sorted([first.status_code, second.status_code]) == [303, 403]


def _wrong_key(token: str) -> str:
    nonce = token.split(".")[0]
    raw = base64.urlsafe_b64decode(nonce + "=" * (-len(nonce) % 4))
    forged = hmac.new(b"not our key", b"console-link\x00" + raw, hashlib.sha256).digest()
    return f"{nonce}.{b64(forged)}"


def _other_nonce(token: str) -> str:
    return f"{b64(secrets.token_bytes(24))}.{token.split('.')[1]}"


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
    response = await client.get("/signin", params={"token": tamper(link_token(link))})
    assert response.status_code == 403
    assert "/console" in response.text
    assert "<script>" not in response.text
    assert not response.headers.get_list("set-cookie")
    [refused] = await audit_rows(database, "console_sign_in_refused")
    assert refused.details == {"reason": "forged"}
    # The genuine link was not used up by the forgeries.
    assert (await client.get(link_path(link))).status_code == 303


async def test_a_well_signed_token_that_was_never_issued_is_refused(
    context: ConsoleContext, client: httpx.AsyncClient
) -> None:
    nonce = secrets.token_bytes(24)
    signature = hmac.new(context.signing_key, b"console-link\x00" + nonce, hashlib.sha256)
    token = f"{b64(nonce)}.{b64(signature.digest())}"
    response = await client.get("/signin", params={"token": token})
    assert response.status_code == 403


async def test_a_link_for_someone_who_is_not_staff_is_refused(
    context: ConsoleContext, client: httpx.AsyncClient, database: Database
) -> None:
    link = await create_sign_in_link(context, OUTSIDER_ID, "Mallory")
    response = await client.get(link_path(link))
    assert response.status_code == 403
    assert not response.headers.get_list("set-cookie")
    [refused] = await audit_rows(database, "console_sign_in_refused")
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
