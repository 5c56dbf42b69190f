"""`python -m bot.migrate`: the release step before several workers start (see the Procfile).

It reads the bot's settings (a bad one is one line and exit code 2, as at start), then
migrates the database of DATABASE_URL and creates Rasa's tracker table
(storage/migrate.py's `prepare_database`, the same as every start runs).
"""

from __future__ import annotations

from bot.config import settings_or_exit
from storage.migrate import prepare_database


def main() -> None:
    """Migrate DATABASE_URL."""
    prepare_database(settings_or_exit().database_url)
    print("database migrated")


if __name__ == "__main__":
    main()
