"""When the staff check cannot tell (Telegram not reachable): a 503, and nobody signed out.

The context's staff check raises StaffCheckUnavailable, as console/staff.py does when
getChatMember fails with a network error, a timeout or a flood wait.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import httpx
import pytest
import sqlalchemy as sa

from console.auth import create_sign_in_link
from console.context import ConsoleContext, StaffCheck, StaffCheckUnavailable
from storage import Database
from storage.models import AuditEvent, ConsoleSession, ConsoleSignInLink
from tests.console.conftest import STAFF_ID, STAFF_NAME, SignIn

pytestmark = pytest.mark.asyncio

HTML = {"Accept": "text/html,application/xhtml+xml"}
TRY_AGAIN = "We can't confirm your access right now; try again in a minute."


class Outage:
    """Stands in for the staff check while Telegram is unreachable, then gives it back."""

    def __init__(self, context: ConsoleContext) -> None:
        self.context = context
        self.working: StaffCheck = context.is_staff
        self.asked = 0

    async def _unavailable(self, telegram_user_id: int) -> bool:
        self.asked += 1
        raise StaffCheckUnavailable("TimedOut")

    def __enter__(self) -> Outage:
        self.context.is_staff = self._unavailable
        return self

    def __exit__(self, *exc: object) -> None:
        self.context.is_staff = self.working


async def _audit_actions(database: Database) -> list[str]:
    async with database.session() as session:
        return list(await session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))


async def _revoked(database: Database) -> list[object]:
    async with database.session() as session:
        return list(await session.scalars(sa.select(ConsoleSession.revoked_at)))


def _path(link: str) -> str:
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


async def test_an_outage_answers_503_and_signs_nobody_out(
    context: ConsoleContext, sign_in: SignIn, client: httpx.AsyncClient, database: Database
) -> None:
    await sign_in()
    assert (await client.get("/cases")).status_code == 200
    before = await _audit_actions(database)

    with Outage(context) as outage:
        page = await client.get("/cases", headers=HTML)
        assert page.status_code == 503
        assert TRY_AGAIN in page.text
        assert page.headers["retry-after"] == "60"
        assert page.headers["cache-control"] == "no-store"
        assert not page.headers.get_list("set-cookie")  # the cookie is kept
        # A form is not carried out either: nobody can be confirmed as staff.
        form = await client.post("/signout", data={"csrf_token": "irrelevant"})
        assert form.status_code == 503
        assert outage.asked == 2

    assert await _revoked(database) == [None]
    assert await _audit_actions(database) == before  # no console_access_ended
    # Telegram answers again: the same session goes on.
    assert (await client.get("/cases")).status_code == 200


async def test_signing_in_during_an_outage_keeps_the_link_for_a_retry(
    context: ConsoleContext,
    client: httpx.AsyncClient,
    database: Database,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    link = await create_sign_in_link(context, STAFF_ID, STAFF_NAME)

    with Outage(context):
        response = await client.get(_path(link))
    assert response.status_code == 503
    assert TRY_AGAIN in response.text
    assert response.headers["referrer-policy"] == "no-referrer"
    assert not response.headers.get_list("set-cookie")
    async with database.session() as session:
        assert list(await session.scalars(sa.select(ConsoleSignInLink.used_at))) == [None]
    assert "console_sign_in_refused" not in await _audit_actions(database)
    token = link.split("token=", 1)[1]
    ours = [r for r in caplog.records if r.name.startswith("console")]
    assert any(r.levelno == logging.WARNING for r in ours)
    assert not any(token in f"{r.getMessage()} {r.__dict__}" for r in ours)

    # The same link, once Telegram answers: signed in.
    signed_in = await client.get(_path(link))
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/cases"


async def test_someone_not_staff_is_still_refused_and_signed_out(
    sign_in: SignIn, client: httpx.AsyncClient, staff_ids: set[int], database: Database
) -> None:
    """Only "cannot tell" is spared: a no still ends every session (as before)."""
    await sign_in()
    staff_ids.discard(STAFF_ID)
    assert (await client.get("/cases")).status_code == 401
    assert "console_access_ended" in await _audit_actions(database)
