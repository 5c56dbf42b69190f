"""The preflight checks (bot/check.py) against each wrong Telegram set-up the emulator plays:
the exact line printed, the start stopping with exit code 2, transient failures retried."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import pytest
from telegram import Bot

from bot.check import startup_checks, telegram_bot, telegram_checks
from bot.config import Settings, load_settings
from bot.runtime import Runtime
from emulator import BotApiEmulator

STAFF_ID = 800_001
WEBHOOK = "https://bot.example.org/telegram"


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator() as running:
        await running.add_user(STAFF_ID, first_name="Ravi")
        yield running


@pytest.fixture
async def group(emulator: BotApiEmulator) -> int:
    chat = await emulator.create_group("Care team", forum=True, members={STAFF_ID: "creator"})
    return int(chat["id"])


def settings_for(emulator: BotApiEmulator, group: int, **env: str) -> Settings:
    values = {
        "TELEGRAM_BOT_TOKEN": emulator.token,
        "TELEGRAM_API_BASE_URL": emulator.base_url,
        "STAFF_CHAT_ID": str(group),
        "PSEUDONYM_SECRET": "test-secret-" * 4,
        **env,
    }
    return load_settings(values)


@pytest.fixture
async def bot(emulator: BotApiEmulator, group: int) -> AsyncIterator[Bot]:
    async with telegram_bot(settings_for(emulator, group), emulator.token) as real_bot:
        yield real_bot


async def lines(bot: Bot, settings: Settings) -> list[str]:
    return [result.line() for result in await telegram_checks(bot, settings)]


async def test_a_right_setup_passes(emulator: BotApiEmulator, group: int, bot: Bot) -> None:
    assert await lines(bot, settings_for(emulator, group)) == [
        "ok    token: @triage_test_bot (id 123456789)",
        f"ok    staff group {group}: 'Care team', a supergroup with Topics on",
        f"ok    staff group {group} bot rights: an administrator that may manage topics",
        f"ok    staff group {group} staff messages: the bot sees them",
        "ok    webhook: none (polling), 0 updates pending",
    ]


async def test_a_wrong_token(emulator: BotApiEmulator, group: int) -> None:
    settings = settings_for(emulator, group)
    async with telegram_bot(settings, "999:wrong") as wrong:
        assert await lines(wrong, settings) == [
            "FAIL  token: Telegram refuses TELEGRAM_BOT_TOKEN (Unauthorized): copy the token "
            "again from @BotFather (/mybots -> your bot -> API Token)"
        ]


async def test_a_missing_chat(emulator: BotApiEmulator, group: int, bot: Bot) -> None:
    typo = group - 1
    found = await lines(bot, settings_for(emulator, typo))
    assert found[1] == (
        f"FAIL  staff group {typo}: chat not found: check the id in STAFF_CHAT_IDS (a "
        "supergroup's id starts with -100) and that the bot was added to the group "
        "(group -> Add Members -> @triage_test_bot)"
    )
    assert len(found) == 3  # token, that line, webhook


async def test_topics_off(emulator: BotApiEmulator, group: int, bot: Bot) -> None:
    await emulator.set_forum(group, False)
    found = await lines(bot, settings_for(emulator, group))
    assert found[1] == f"FAIL  staff group {group}: Topics are off: turn them on in the " \
        "group (Edit -> Topics)"


async def test_a_basic_group(emulator: BotApiEmulator, bot: Bot) -> None:
    basic = int((await emulator.create_group("Old team", supergroup=False))["id"])
    found = await lines(bot, settings_for(emulator, basic))
    assert found[1] == (
        f"FAIL  staff group {basic}: is a group, not a supergroup: turn Topics on in the group "
        "(Edit -> Topics), which makes it a supergroup with a new -100... id; put that id in "
        "STAFF_CHAT_IDS"
    )


async def test_not_an_admin_with_privacy_mode(
    emulator: BotApiEmulator, group: int, bot: Bot
) -> None:
    await emulator.set_bot_membership(group, "member")
    found = await lines(bot, settings_for(emulator, group))
    assert found[2] == (
        f"FAIL  staff group {group} bot rights: @triage_test_bot is not an administrator "
        "(member): group -> Edit -> Administrators -> Add Admin -> @triage_test_bot, with "
        "'Manage topics' on"
    )
    # Privacy mode off: a member still sees every message.
    assert found[3] == f"ok    staff group {group} staff messages: the bot sees them"
    await emulator.set_privacy_mode(True)
    found = await lines(bot, settings_for(emulator, group))
    assert found[3] == (
        f"FAIL  staff group {group} staff messages: the bot cannot see the staff's messages "
        "in topics (privacy mode is on and it is no administrator): make it an administrator, "
        "or @BotFather -> /mybots -> Bot Settings -> Group Privacy -> Turn off, then remove "
        "and re-add the bot"
    )


async def test_privacy_mode_is_harmless_for_an_admin(
    emulator: BotApiEmulator, group: int, bot: Bot
) -> None:
    await emulator.set_privacy_mode(True)
    assert not any("FAIL" in line for line in await lines(bot, settings_for(emulator, group)))


async def test_no_manage_topics(emulator: BotApiEmulator, group: int, bot: Bot) -> None:
    await emulator.set_bot_membership(group, "administrator", rights={"can_manage_topics": False})
    found = await lines(bot, settings_for(emulator, group))
    assert found[2] == (
        f"FAIL  staff group {group} bot rights: @triage_test_bot may not manage topics: "
        "group -> Edit -> Administrators -> @triage_test_bot -> turn 'Manage topics' on"
    )


async def test_a_foreign_webhook(emulator: BotApiEmulator, group: int, bot: Bot) -> None:
    await emulator.set_webhook_state("https://old.example.org/hook")
    found = await lines(bot, settings_for(emulator, group))
    assert found[-1] == (
        "FAIL  webhook: Telegram delivers to https://old.example.org/hook, not polling (no "
        "WEBHOOK_URL): another deployment uses this token; stop it, or if it is gone, delete "
        "its webhook (https://api.telegram.org/bot<token>/deleteWebhook)"
    )
    webhook = settings_for(emulator, group, TELEGRAM_MODE="webhook", WEBHOOK_URL=WEBHOOK,
                           WEBHOOK_SECRET="s3cret")
    found = await lines(bot, webhook)
    assert found[-1].startswith(
        f"FAIL  webhook: Telegram delivers to https://old.example.org/hook, not WEBHOOK_URL "
        f"{WEBHOOK}: another deployment")


async def test_our_webhook_with_a_last_error(
    emulator: BotApiEmulator, group: int, bot: Bot
) -> None:
    settings = settings_for(emulator, group, TELEGRAM_MODE="webhook", WEBHOOK_URL=WEBHOOK,
                            WEBHOOK_SECRET="s3cret")
    await emulator.set_webhook_state(WEBHOOK)
    assert (await lines(bot, settings))[-1] == f"ok    webhook: {WEBHOOK}, 0 updates pending"
    await emulator.set_webhook_state(WEBHOOK, last_error_message="Connection refused")
    assert (await lines(bot, settings))[-1] == (
        "warn  webhook: Telegram's last delivery failed 0 min ago: 'Connection refused' (0 "
        f"updates pending): check that {WEBHOOK} reaches this server (DNS, TLS certificate, "
        "port 443/80/88/8443, WEBHOOK_SECRET)"
    )


async def test_the_start_stops_with_exit_code_2_on_a_missing_chat(
    emulator: BotApiEmulator, group: int, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = settings_for(emulator, group + 7)
    runtime = Runtime(settings, emulator.token)
    try:
        with pytest.raises(SystemExit) as stopped:
            await runtime.start()
    finally:
        await runtime.stop()
    assert stopped.value.code == 2
    assert f"error: FAIL  staff group {group + 7}: chat not found" in capsys.readouterr().err
    assert runtime.database is None  # stopped before migrating or loading the model


async def test_a_transient_failure_is_retried_with_backoff(
    emulator: BotApiEmulator, group: int, bot: Bot
) -> None:
    await emulator.fail_next("getChat", count=2, status=502)
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    results = await startup_checks(bot, settings_for(emulator, group), (1.0, 2.0, 5.0), sleep)
    assert slept == [1.0, 2.0]
    assert not any(r.failed for r in results)


async def test_telegram_that_stays_unreachable_stops_the_start(
    emulator: BotApiEmulator, group: int, bot: Bot
) -> None:
    await emulator.fail_next("getMe", count=5, status=503)
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    with pytest.raises(SystemExit) as stopped:
        await startup_checks(bot, settings_for(emulator, group), (1.0, 2.0), sleep)
    assert stopped.value.code == 1
    assert slept == [1.0, 2.0]


async def test_a_setup_gone_wrong_plus_transient_is_still_permanent(
    emulator: BotApiEmulator, group: int, bot: Bot
) -> None:
    await emulator.set_forum(group, False)
    await emulator.fail_next("getWebhookInfo", count=1, status=500)
    with pytest.raises(SystemExit) as stopped:
        await startup_checks(bot, settings_for(emulator, group), (0.0,))
    assert stopped.value.code == 2


def test_run_checks_in_the_sandbox_pass() -> None:
    import asyncio

    from bot.check import run_checks

    settings = dataclasses.replace(load_settings({}), database_url="sqlite:///:memory:")
    results = asyncio.run(run_checks(settings))
    assert not any(r.failed for r in results), [r.line() for r in results]


async def test_flood_control_is_transient(emulator: BotApiEmulator, group: int, bot: Bot) -> None:
    await emulator.fail_next("getChatMember", count=1, status=429, retry_after=1)
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    await startup_checks(bot, settings_for(emulator, group), (3.0,), sleep)
    assert slept == [3.0]


async def test_the_bot_kicked_from_the_group(
    emulator: BotApiEmulator, group: int, bot: Bot
) -> None:
    await emulator.fail_next("getChat", count=1, status=403,
                             description="Forbidden: bot was kicked from the supergroup chat")
    found = await lines(bot, settings_for(emulator, group))
    assert found[1] == (
        f"FAIL  staff group {group}: the bot is not in the group (Forbidden: bot was kicked "
        "from the supergroup chat): add it again (group -> Add Members -> @triage_test_bot) "
        "as an administrator"
    )
