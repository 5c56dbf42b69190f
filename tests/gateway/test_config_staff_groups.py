"""STAFF_CHAT_IDS: several staff groups; STAFF_CHAT_ID alone keeps working."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, load_settings

TOKEN = "123456:ABCdefGhIJKlmnoPQRstuVWXyz0123456789"
BASE = {"TELEGRAM_BOT_TOKEN": TOKEN, "PSEUDONYM_SECRET": "s3cret"}


def test_one_group_as_before() -> None:
    settings = load_settings({**BASE, "STAFF_CHAT_ID": "-1001"})
    assert settings.staff_chat_id == -1001 and settings.staff_chat_ids == (-1001,)


def test_several_groups_in_order_the_first_being_staff_chat_id() -> None:
    settings = load_settings({**BASE, "STAFF_CHAT_IDS": "-1001, -1002,-1003"})
    assert settings.staff_chat_ids == (-1001, -1002, -1003)
    assert settings.staff_chat_id == -1001


def test_both_set_agree() -> None:
    settings = load_settings({**BASE, "STAFF_CHAT_ID": "-1002", "STAFF_CHAT_IDS": "-1001,-1002"})
    assert settings.staff_chat_ids == (-1001, -1002)


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"STAFF_CHAT_IDS": "-1001,staff"}, "STAFF_CHAT_IDS"),
        ({"STAFF_CHAT_IDS": "-1001,-1001"}, "STAFF_CHAT_IDS"),
        ({"STAFF_CHAT_IDS": "-1001,-1002", "STAFF_CHAT_ID": "-1003"}, "STAFF_CHAT_ID"),
        ({"STAFF_CHAT_IDS": " , "}, "STAFF_CHAT_ID"),
    ],
)
def test_bad_staff_groups_are_named(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings({**BASE, **env})
    assert error.value.variable == variable
