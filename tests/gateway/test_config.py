"""Settings: defaults, validation, and the one-line error a bad value gives at start-up."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bot.config import DEFAULT_DATABASE_URL, ConfigError, load_settings
from bot.paths import ROOT

TOKEN = "123456:ABCdefGhIJKlmnoPQRstuVWXyz0123456789"


def test_defaults_give_a_sandbox_with_sqlite_and_polling() -> None:
    settings = load_settings({})
    assert settings.sandbox
    assert settings.mode == "polling"
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.api_base_url == "https://api.telegram.org"
    assert settings.redis_url is None and settings.rasa_url is None


def test_a_real_token_needs_the_staff_group_and_a_pseudonym_secret() -> None:
    with pytest.raises(ConfigError) as error:
        load_settings({"TELEGRAM_BOT_TOKEN": TOKEN})
    assert error.value.variable == "STAFF_CHAT_ID"
    with pytest.raises(ConfigError) as error:
        load_settings({"TELEGRAM_BOT_TOKEN": TOKEN, "STAFF_CHAT_ID": "-1001"})
    assert error.value.variable == "PSEUDONYM_SECRET"
    settings = load_settings(
        {"TELEGRAM_BOT_TOKEN": TOKEN, "STAFF_CHAT_ID": "-1001", "PSEUDONYM_SECRET": "s3cret"}
    )
    assert not settings.sandbox and settings.staff_chat_id == -1001


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"TELEGRAM_BOT_TOKEN": "not-a-token"}, "TELEGRAM_BOT_TOKEN"),
        ({"TELEGRAM_MODE": "carrier-pigeon"}, "TELEGRAM_MODE"),
        ({"TELEGRAM_MODE": "webhook"}, "WEBHOOK_URL"),
        ({"TELEGRAM_MODE": "webhook", "WEBHOOK_URL": "https://x.example/tg"}, "WEBHOOK_SECRET"),
        (
            {
                "TELEGRAM_MODE": "webhook",
                "WEBHOOK_URL": "https://x.example/tg",
                "WEBHOOK_SECRET": "a b",
            },
            "WEBHOOK_SECRET",
        ),
        (
            {
                "TELEGRAM_MODE": "webhook",
                "WEBHOOK_URL": "https://x.example/tg",
                "WEBHOOK_SECRET": "abc",
                "WEBHOOK_LISTEN": "nonsense",
            },
            "WEBHOOK_LISTEN",
        ),
        ({"TELEGRAM_API_BASE_URL": "ftp://x"}, "TELEGRAM_API_BASE_URL"),
        ({"STAFF_CHAT_ID": "staff"}, "STAFF_CHAT_ID"),
        ({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL"),
        ({"REDIS_URL": "http://localhost"}, "REDIS_URL"),
        ({"RASA_URL": "localhost:5005"}, "RASA_URL"),
        ({"QUEUE_RENOTIFY_SECONDS": "-3"}, "QUEUE_RENOTIFY_SECONDS"),
    ],
)
def test_a_bad_value_names_its_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings(env)
    assert error.value.variable == variable
    assert str(error.value).startswith(f"{variable}: ")


def test_webhook_settings_are_parsed() -> None:
    settings = load_settings(
        {
            "TELEGRAM_MODE": "webhook",
            "WEBHOOK_URL": "https://bot.example.org/telegram/hook",
            "WEBHOOK_SECRET": "abc_DEF-123",
            "WEBHOOK_LISTEN": "127.0.0.1:8088",
        }
    )
    assert settings.webhook is not None
    assert (settings.webhook.listen, settings.webhook.port) == ("127.0.0.1", 8088)
    assert settings.webhook.path == "telegram/hook"


@pytest.mark.parametrize("module", ["bot", "bot.migrate"])
def test_bad_setting_at_start_is_one_clear_line_and_a_nonzero_exit(module: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    env["TELEGRAM_MODE"] = "smoke-signals"
    result = subprocess.run(
        [sys.executable, "-W", "ignore::RuntimeWarning", "-m", module],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: TELEGRAM_MODE: expected polling or webhook, got 'smoke-signals'"
    ]
    assert "Traceback" not in result.stderr + result.stdout
