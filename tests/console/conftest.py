"""Fixtures: the console app on a migrated SQLite file, and a client signed in as staff.

The app is driven in the test's own event loop through httpx's ASGI transport: the async
database engine belongs to that loop (Starlette's TestClient would run another one).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from bot.config import ConsoleSettings
from console.app import build_console
from console.context import ConsoleContext
from console.wiring import signing_key
from storage import Database, Repository, migrate

STAFF_ID = 900_000_001
STAFF_NAME = "Ravi Care"
OUTSIDER_ID = 900_000_099
SECRET = b"console-tests-secret"
CONSOLE_URL = "http://console.test"

SignIn = Callable[..., Awaitable[httpx.AsyncClient]]


@pytest.fixture
def staff_ids() -> set[int]:
    """Who counts as staff right now; a test may remove someone to see access end."""
    return {STAFF_ID}


@pytest_asyncio.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    url = f"sqlite:///{tmp_path / 'console.db'}"
    migrate(url)
    db = Database(url)
    yield db
    await db.dispose()


@pytest.fixture
def repository(database: Database) -> Repository:
    return Repository(database, SECRET)


@pytest.fixture
def context(database: Database, repository: Repository, staff_ids: set[int]) -> ConsoleContext:
    async def is_staff(user_id: int) -> bool:
        return user_id in staff_ids

    return ConsoleContext(
        settings=ConsoleSettings(host="127.0.0.1", port=0, public_url=CONSOLE_URL),
        database=database,
        repository=repository,
        signing_key=signing_key(SECRET),
        is_staff=is_staff,
    )


@pytest.fixture
def app(context: ConsoleContext) -> Starlette:
    return build_console(context)


@pytest_asyncio.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=CONSOLE_URL) as http:
        yield http


@pytest.fixture
def sign_in(context: ConsoleContext, client: httpx.AsyncClient) -> SignIn:
    """Follow a real one-time link, as a staff member's browser would; returns the client."""
    from console.auth import create_sign_in_link

    async def go(user_id: int = STAFF_ID, name: str = STAFF_NAME) -> httpx.AsyncClient:
        link = await create_sign_in_link(context, user_id, name)
        parts = urlsplit(link)
        response = await client.get(f"{parts.path}?{parts.query}")
        assert response.status_code in (302, 303), response.text
        return client

    return go
