"""Settings from the environment (and an optional `.env`), validated once at start-up."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

TELEGRAM_API = "https://api.telegram.org"
DEFAULT_DATABASE_URL = "sqlite:///var/triage.db"
DEV_PSEUDONYM_SECRET = "dev-only-pseudonym-secret"
_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_BOT_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]{20,}$")
# /metrics' bearer token (METRICS_TOKEN): long enough that it cannot be guessed.
MIN_METRICS_TOKEN = 16


class ConfigError(Exception):
    """A missing or bad setting; the message names the variable."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


@dataclass(frozen=True)
class WebhookSettings:
    url: str
    listen: str
    port: int
    secret: str
    path: str


@dataclass(frozen=True)
class ConsoleSettings:
    """The coordinators' web console (`console/`): where it listens, what links point at."""

    host: str
    port: int
    public_url: str
    # When set, /metrics answers only a scrape that sends it as a bearer token.
    metrics_token: str | None = None

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")


@dataclass(frozen=True)
class Settings:
    bot_token: str | None
    api_base_url: str
    mode: str
    webhook: WebhookSettings | None
    staff_chat_id: int | None
    database_url: str
    redis_url: str | None
    rasa_url: str | None
    action_server_url: str | None
    pseudonym_secret: bytes
    staff_user_ids: frozenset[int]
    queue_renotify_seconds: float
    rate_limit: bool
    log_level: str
    console: ConsoleSettings | None = None
    inbox_retention_days: int = 7
    # Where the sandbox writes its logs (and every library's output), off the chat's terminal.
    log_dir: Path = Path("var/log")
    # Every staff group, the first being staff_chat_id (STAFF_CHAT_IDS, or STAFF_CHAT_ID alone).
    staff_chat_ids: tuple[int, ...] = ()

    @property
    def sandbox(self) -> bool:
        """Without a bot token the bot runs against the local emulator."""
        return self.bot_token is None


def _http_url(env: Mapping[str, str], name: str, default: str | None = None) -> str | None:
    value = env.get(name, "").strip() or default
    if value is None:
        return None
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(name, f"expected an http(s) URL, got {value!r}")
    return value.rstrip("/")


def _int(env: Mapping[str, str], name: str) -> int | None:
    value = env.get(name, "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise ConfigError(name, f"expected an integer, got {value!r}") from None


def _staff_chat_ids(env: Mapping[str, str]) -> tuple[int, ...]:
    """STAFF_CHAT_IDS (comma-separated), or STAFF_CHAT_ID alone, as before there were more."""
    single = _int(env, "STAFF_CHAT_ID")
    parts = env.get("STAFF_CHAT_IDS", "").replace(",", " ").split()
    if not parts:
        return (single,) if single is not None else ()
    try:
        chat_ids = tuple(int(part) for part in parts)
    except ValueError:
        raise ConfigError(
            "STAFF_CHAT_IDS", "expected staff supergroup chat ids separated by commas"
        ) from None
    if len(set(chat_ids)) != len(chat_ids):
        raise ConfigError("STAFF_CHAT_IDS", "a group is listed twice")
    if single is not None and single not in chat_ids:
        raise ConfigError("STAFF_CHAT_ID", "not among STAFF_CHAT_IDS: set one or list it there")
    return chat_ids


def _positive_float(env: Mapping[str, str], name: str, default: float) -> float:
    value = env.get(name, "").strip()
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(name, f"expected a number of seconds, got {value!r}") from None
    if number <= 0:
        raise ConfigError(name, "must be greater than 0")
    return number


def _retention_days(env: Mapping[str, str], name: str, default: int, least: int) -> int:
    value = env.get(name, "").strip()
    if not value:
        return default
    try:
        days = int(value)
    except ValueError:
        raise ConfigError(name, f"expected a whole number of days, got {value!r}") from None
    if days < least:
        # Below this a repeat Telegram may still send (for 24 hours) would find no row.
        raise ConfigError(name, f"must be at least {least} days")
    return days


def _log_dir(env: Mapping[str, str]) -> Path:
    from bot.paths import ROOT

    value = env.get("LOG_DIR", "").strip() or "var/log"
    path = Path(value).expanduser()
    path = path if path.is_absolute() else ROOT / path
    if path.exists() and not path.is_dir():
        raise ConfigError("LOG_DIR", f"not a directory: {value}")
    return path


def _database_url(env: Mapping[str, str]) -> str:
    value = env.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
    scheme = value.split(":", 1)[0]
    if not (scheme.startswith("sqlite") or scheme.startswith("postgresql")):
        raise ConfigError("DATABASE_URL", "expected a sqlite:/// or postgresql:// URL")
    return value


def _redis_url(env: Mapping[str, str]) -> str | None:
    value = env.get("REDIS_URL", "").strip()
    if not value:
        return None
    if urlparse(value).scheme not in ("redis", "rediss", "unix"):
        raise ConfigError("REDIS_URL", "expected a redis:// URL")
    return value


def _webhook(env: Mapping[str, str]) -> WebhookSettings:
    url = _http_url(env, "WEBHOOK_URL")
    if url is None:
        raise ConfigError("WEBHOOK_URL", "required when TELEGRAM_MODE=webhook")
    secret = env.get("WEBHOOK_SECRET", "").strip()
    if not secret:
        raise ConfigError("WEBHOOK_SECRET", "required when TELEGRAM_MODE=webhook")
    if not _SECRET_TOKEN.match(secret):
        raise ConfigError("WEBHOOK_SECRET", "1-256 characters of A-Z, a-z, 0-9, _ and -")
    listen = env.get("WEBHOOK_LISTEN", "").strip() or "0.0.0.0:8443"
    host, _, port_text = listen.rpartition(":")
    if not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ConfigError("WEBHOOK_LISTEN", f"expected host:port, got {listen!r}")
    path = urlparse(url).path.lstrip("/") or "telegram"
    return WebhookSettings(url=url, listen=host, port=int(port_text), secret=secret, path=path)


def _host_port(env: Mapping[str, str], name: str, default: str) -> tuple[str, int]:
    listen = env.get(name, "").strip() or default
    host, _, port_text = listen.rpartition(":")
    if not host or not port_text.isdigit() or not 0 <= int(port_text) < 65536:
        raise ConfigError(name, f"expected host:port, got {listen!r}")
    return host, int(port_text)


def _console(env: Mapping[str, str]) -> ConsoleSettings | None:
    if env.get("CONSOLE_LISTEN", "").strip().lower() == "off":
        return None
    host, port = _host_port(env, "CONSOLE_LISTEN", "127.0.0.1:8080")
    public = _http_url(env, "CONSOLE_PUBLIC_URL") or f"http://{host}:{port}"
    token = env.get("METRICS_TOKEN", "").strip() or None
    if token is not None and len(token) < MIN_METRICS_TOKEN:
        raise ConfigError("METRICS_TOKEN", f"at least {MIN_METRICS_TOKEN} characters")
    return ConsoleSettings(host=host, port=port, public_url=public, metrics_token=token)


def load_settings(env: Mapping[str, str] | None = None, dotenv: Path | None = None) -> Settings:
    """Read and validate every setting; raise ConfigError naming the first bad one."""
    if env is None:
        if dotenv is not None and dotenv.exists():
            from dotenv import load_dotenv

            load_dotenv(dotenv, override=False)
        env = os.environ
    token = env.get("TELEGRAM_BOT_TOKEN", "").strip() or None
    if token is not None and not _BOT_TOKEN.match(token):
        raise ConfigError("TELEGRAM_BOT_TOKEN", "not a bot token (expected <digits>:<secret>)")
    mode = env.get("TELEGRAM_MODE", "").strip().lower() or "polling"
    if mode not in ("polling", "webhook"):
        raise ConfigError("TELEGRAM_MODE", f"expected polling or webhook, got {mode!r}")
    staff_chat_ids = _staff_chat_ids(env)
    staff_chat_id = staff_chat_ids[0] if staff_chat_ids else None
    if token is not None and staff_chat_id is None:
        raise ConfigError("STAFF_CHAT_ID", "required: the staff supergroup's chat id")
    staff_ids_text = env.get("STAFF_USER_IDS", "").replace(",", " ").split()
    try:
        staff_user_ids = frozenset(int(part) for part in staff_ids_text)
    except ValueError:
        raise ConfigError(
            "STAFF_USER_IDS", "expected Telegram user ids separated by commas"
        ) from None
    secret = env.get("PSEUDONYM_SECRET", "").strip()
    if token is not None and not secret:
        raise ConfigError(
            "PSEUDONYM_SECRET", "required with a real bot token (any long random string)"
        )
    rate_limit = env.get("TELEGRAM_RATE_LIMIT", "on").strip().lower()
    if rate_limit not in ("on", "off"):
        raise ConfigError("TELEGRAM_RATE_LIMIT", "expected on or off")
    level = env.get("LOG_LEVEL", "INFO").strip().upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError("LOG_LEVEL", "expected DEBUG, INFO, WARNING or ERROR")
    return Settings(
        bot_token=token,
        api_base_url=_http_url(env, "TELEGRAM_API_BASE_URL", TELEGRAM_API) or TELEGRAM_API,
        mode=mode,
        webhook=_webhook(env) if mode == "webhook" else None,
        staff_chat_id=staff_chat_id,
        database_url=_database_url(env),
        redis_url=_redis_url(env),
        rasa_url=_http_url(env, "RASA_URL"),
        action_server_url=_http_url(env, "ACTION_SERVER_URL"),
        pseudonym_secret=(secret or DEV_PSEUDONYM_SECRET).encode(),
        staff_user_ids=staff_user_ids,
        queue_renotify_seconds=_positive_float(env, "QUEUE_RENOTIFY_SECONDS", 600.0),
        rate_limit=rate_limit == "on",
        log_level=level,
        console=_console(env),
        inbox_retention_days=_retention_days(env, "INBOX_RETENTION_DAYS", 7, least=2),
        log_dir=_log_dir(env),
        staff_chat_ids=staff_chat_ids,
    )


def settings_or_exit() -> Settings:
    """The settings from the environment and `.env`, or exit 2 with the one-line error."""
    from bot.paths import ROOT

    try:
        return load_settings(dotenv=ROOT / ".env")
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
