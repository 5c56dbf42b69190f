"""CONSOLE_LISTEN, CONSOLE_PUBLIC_URL, METRICS_TOKEN: the defaults, off, set, and bad values."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, load_settings


def test_the_console_listens_on_localhost_8080_by_default() -> None:
    console = load_settings({}).console
    assert console is not None
    assert (console.host, console.port) == ("127.0.0.1", 8080)
    assert console.public_url == "http://127.0.0.1:8080"
    assert not console.secure_cookies


def test_metrics_are_open_by_default_and_take_a_bearer_token_when_one_is_set() -> None:
    default = load_settings({}).console
    assert default is not None and default.metrics_token is None
    guarded = load_settings({"METRICS_TOKEN": " 7f3c9a1e5b2d8c4f6a0e "}).console
    assert guarded is not None and guarded.metrics_token == "7f3c9a1e5b2d8c4f6a0e"


def test_off_turns_the_console_off() -> None:
    assert load_settings({"CONSOLE_LISTEN": "off"}).console is None


def test_an_https_public_url_makes_cookies_secure() -> None:
    console = load_settings(
        {"CONSOLE_LISTEN": "0.0.0.0:9000", "CONSOLE_PUBLIC_URL": "https://care.example.org/"}
    ).console
    assert console is not None
    assert (console.host, console.port) == ("0.0.0.0", 9000)
    assert console.public_url == "https://care.example.org"
    assert console.secure_cookies


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"CONSOLE_LISTEN": "8080"}, "CONSOLE_LISTEN"),
        ({"CONSOLE_LISTEN": "127.0.0.1:http"}, "CONSOLE_LISTEN"),
        ({"CONSOLE_LISTEN": "127.0.0.1:70000"}, "CONSOLE_LISTEN"),
        ({"CONSOLE_PUBLIC_URL": "care.example.org"}, "CONSOLE_PUBLIC_URL"),
        ({"METRICS_TOKEN": "short-token"}, "METRICS_TOKEN"),
    ],
)
def test_a_bad_console_setting_names_its_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings(env)
    assert error.value.variable == variable
