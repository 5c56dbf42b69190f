"""The server side of `python -m bot.check`: the database and its migrations, Redis, the
model and the action server. One `Result` (bot/check_result.py) each, `permanent` False for a
failure that may pass on a retry (a server not reachable yet), as the start-up retries them
(bot/preflight.py). No line quotes a URL's password or a driver's own message."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import aiohttp

from bot.check_result import Result
from bot.config import Settings

UNREACHABLE_DATABASE = ("cannot connect ({error}): check DATABASE_URL and that the database "
                        "server is running and reachable")
# A driver's message (lower case) that no retry changes, and the fix in the server's terms.
DATABASE_REFUSALS = (
    (("database \"", "does not exist"), "the database named in DATABASE_URL does not exist: "
     "create it (`createdb <name>`) or correct the name"),
    (("role \"", "does not exist"), "PostgreSQL does not know the user in DATABASE_URL: "
     "correct it, or create the role"),
    (("authentication failed",), "PostgreSQL refuses the user or password in DATABASE_URL: "
     "correct them"),
    (("no pg_hba.conf entry",), "PostgreSQL does not let this host in (no pg_hba.conf entry):"
     " add one for this server, or correct DATABASE_URL's user and database"),
    (("unable to open database file",), "cannot open the SQLite file in DATABASE_URL: check "
     "its path and that its directory is writable"),
    (("permission denied",), "the database user in DATABASE_URL may not create our tables "
     "(permission denied): grant it CREATE on the schema, or use the database's owner"),
)


def unknown_revision(revision: str) -> Result:
    """The database was migrated by a newer version of this code: no retry helps."""
    return Result("database", problem=f"at migration {revision}, which this code does not "
                  "know (a newer version migrated it): run that version, or point "
                  "DATABASE_URL at this version's database")


def database_problem(error: BaseException) -> Result | None:
    """The `database` line for a failure to connect or migrate; None for one we do not know."""
    import sqlalchemy.exc
    from alembic.util.exc import CommandError

    if isinstance(error, CommandError):
        found = re.search(r"revision identified by '([^']+)'", str(error))
        if found is None:
            return None
        return unknown_revision(found.group(1))
    if isinstance(error, OSError):  # SQLite: its directory cannot be made
        return Result("database", problem=f"cannot create the SQLite file's directory "
                      f"({type(error).__name__}): check the path in DATABASE_URL")
    if not isinstance(error, sqlalchemy.exc.DBAPIError):
        return None
    text = str(error.orig if error.orig is not None else error).lower()
    for markers, problem in DATABASE_REFUSALS:
        if all(marker in text for marker in markers):
            return Result("database", problem=problem)
    if isinstance(error, sqlalchemy.exc.OperationalError | sqlalchemy.exc.InterfaceError):
        # Refused, timed out, a name not resolved, the server starting: may pass on a retry.
        return Result("database", problem=UNREACHABLE_DATABASE.format(error="OperationalError"),
                      permanent=False)
    return None


def migration_state(url: str) -> tuple[str | None, set[str], set[str]]:
    """The database's revision, the code's heads and every revision the code knows."""
    import sqlalchemy as sa
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from storage.db import sync_url
    from storage.migrate import alembic_config

    engine = sa.create_engine(sync_url(url))
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
    script = ScriptDirectory.from_config(alembic_config(url))
    known = {revision.revision for revision in script.walk_revisions()}
    return current, set(script.get_heads()), known


def migration_result(current: str | None, heads: set[str], known: set[str]) -> Result:
    """At head (ok), behind (a warning: the start migrates), or unknown to this code (FAIL)."""
    if current in heads:
        return Result("database", f"migrations at head ({current})")
    if current is not None and current not in known:
        return unknown_revision(current)
    return Result("database", warning=True, problem=f"migrations pending (at {current or 'none'}"
                  f", head {', '.join(sorted(heads))}): the start applies them, or run "
                  "`python -m bot.migrate` before starting several workers")


async def check_database(settings: Settings) -> Result:
    """Connects, and its migrations against this code's."""
    try:
        state = await asyncio.to_thread(migration_state, settings.database_url)
    except Exception as error:  # the driver's own errors: unknown ones mean "not reachable"
        return database_problem(error) or Result(
            "database", problem=UNREACHABLE_DATABASE.format(error=type(error).__name__))
    return migration_result(*state)


async def check_redis(settings: Settings) -> Result | None:
    """PING, when REDIS_URL is set: refused credentials are permanent, no answer transient."""
    if not settings.redis_url:
        return None
    import redis.asyncio as redis
    from redis import exceptions

    try:
        client = redis.from_url(settings.redis_url, socket_connect_timeout=5)
    except ValueError:
        return Result("redis", problem="REDIS_URL is malformed: expected "
                      "redis://[[user]:password@]host[:port][/db]")
    try:
        await client.ping()
    except (exceptions.AuthenticationError, exceptions.AuthorizationError) as error:
        return Result("redis", problem=f"Redis refuses the credentials ({type(error).__name__})"
                      ": correct the user and password in REDIS_URL (Redis's requirepass or "
                      "ACL user)")
    except (exceptions.ConnectionError, exceptions.TimeoutError, OSError) as error:
        return Result("redis", problem=f"no answer to PING ({type(error).__name__}): check "
                      "REDIS_URL (host, port, password) and that Redis is running",
                      permanent=False)
    except exceptions.RedisError as error:
        return Result("redis", problem=f"PING answered with an error ({type(error).__name__})"
                      ": check that REDIS_URL's host and port are Redis's, and its database "
                      "number")
    finally:
        await client.close()
    return Result("redis", "answers PING")


def check_model(models_dir: Path | None = None) -> Result:
    """The model in `models_dir` (models/ by default) exists and fits the training data."""
    from bot.model import MODELS, model_path

    return check_model_file(model_path(models_dir or MODELS))


def check_model_file(target: Path) -> Result:
    """The model file exists (else FAIL) and its fingerprint is the training data's (else warn)."""
    from bot.model import training_fingerprint

    if not target.exists():
        return Result("model", problem=f"{target.name} missing: run `make train` (the start "
                      "trains it too, for minutes)")
    stamp = target.with_name(target.name.removesuffix(".tar.gz") + ".fingerprint")
    if not stamp.exists() or stamp.read_text().strip() != training_fingerprint():
        return Result("model", warning=True, problem=f"{target.name} is older than the "
                      "training data: run `make train` (the start would train it first)")
    return Result("model", f"{target.name} up to date")


def shown_url(url: str) -> str:
    """The URL without a user or password, for a line or a log."""
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=host))


async def check_action_server(settings: Settings) -> Result:
    """RASA_URL's or ACTION_SERVER_URL's server answers: no answer or a 5xx may pass later."""
    if settings.rasa_url:
        url, name = settings.rasa_url + "/", "RASA_URL"
    elif settings.action_server_url:
        url, name = settings.action_server_url.rsplit("/", 1)[0] + "/health", "ACTION_SERVER_URL"
    else:
        return Result("action server", "started by the bot (python -m rasa_sdk)")
    try:
        timeout = aiohttp.ClientTimeout(total=10)
        async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url) as answer:
            if answer.status == 200:
                return Result("action server", f"{shown_url(url)} answers")
            status, transient = f"HTTP {answer.status}", answer.status >= 500
    except (aiohttp.ClientError, asyncio.TimeoutError) as error:
        status, transient = type(error).__name__, True
    if not transient:
        return Result("action server", problem=f"{shown_url(url)} answers {status}: not "
                      f"{'a Rasa server' if settings.rasa_url else 'an action server'}; "
                      f"check {name}")
    return Result("action server", problem=f"{shown_url(url)} does not answer ({status}): "
                  f"check {name} and that the server is running", permanent=False)


async def server_checks(settings: Settings) -> list[Result]:
    """The database, Redis (when set), the model and the action server, in that order."""
    results = [await check_database(settings)]
    redis_result = await check_redis(settings)
    if redis_result is not None:
        results.append(redis_result)
    results.append(check_model())
    results.append(await check_action_server(settings))
    return results
