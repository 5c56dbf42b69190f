import pytest

from storage import normalise_url, sync_url
from storage.pseudonym import pseudonym
from storage.tracker import tracker_store_arguments


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:///var/triage.db", "sqlite+aiosqlite:///var/triage.db"),
        ("sqlite+aiosqlite:///var/triage.db", "sqlite+aiosqlite:///var/triage.db"),
        ("postgresql://u:p%40ss@db:5432/triage", "postgresql+asyncpg://u:p%40ss@db:5432/triage"),
        ("postgres://u@db/triage", "postgresql+asyncpg://u@db/triage"),
        ("postgresql+psycopg2://u@db/triage", "postgresql+asyncpg://u@db/triage"),
    ],
)
def test_normalise_url_picks_the_async_driver(given: str, expected: str) -> None:
    assert normalise_url(given) == expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite+aiosqlite:///var/triage.db", "sqlite:///var/triage.db"),
        (
            "postgresql+asyncpg://u:secret@db:5432/triage",
            "postgresql+psycopg2://u:secret@db:5432/triage",
        ),
        ("postgresql://u@db/triage", "postgresql+psycopg2://u@db/triage"),
    ],
)
def test_sync_url_picks_the_sync_driver(given: str, expected: str) -> None:
    assert sync_url(given) == expected


def test_unsupported_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="mysql"):
        normalise_url("mysql://u@db/triage")


def test_tracker_store_arguments_for_postgresql() -> None:
    arguments = tracker_store_arguments("postgresql+asyncpg://rasa:pw@db.example:6543/triage")
    assert arguments == {
        "dialect": "postgresql+psycopg2",
        "host": "db.example",
        "port": 6543,
        "db": "triage",
        "username": "rasa",
        "password": "pw",
        "query": None,
    }


def test_tracker_store_arguments_for_sqlite_use_the_file_path() -> None:
    arguments = tracker_store_arguments("sqlite+aiosqlite:///var/triage.db")
    assert arguments["dialect"] == "sqlite"
    assert arguments["db"] == "var/triage.db"
    assert arguments["host"] is None


def test_pseudonym_is_stable_and_depends_on_the_secret() -> None:
    first = pseudonym(b"secret-a", 123456789)
    assert first == pseudonym(b"secret-a", 123456789)
    assert first != pseudonym(b"secret-b", 123456789)
    assert first != pseudonym(b"secret-a", 123456780)
    assert len(first) == 64 and "123456789" not in first
