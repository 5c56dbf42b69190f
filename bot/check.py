"""`python -m bot.check` (`make check`): is the real Telegram set-up (and the server) right?

Each check prints one line: `ok`, `warn` or `FAIL`, what is wrong and the fix in Telegram's
or the server's terms. The checks also run at start-up (`startup_checks` here, the server's in
bot/preflight.py): a check that can never pass stops the start with exit code 2, as a bad
setting does; a transient failure (Telegram, the database, Redis or the action server
unreachable, a 5xx) is logged and retried with backoff, and stops the start with exit code 1
when it stays.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import NoReturn

from telegram import Bot, ChatMemberAdministrator, ChatMemberOwner, User
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.request import HTTPXRequest

from bot.check_result import Result
from bot.check_server import server_checks
from bot.config import Settings

log = logging.getLogger(__name__)
STARTUP_RETRY_DELAYS = (1.0, 2.0, 5.0, 10.0, 30.0)
# A webhook error older than this is history, not a problem now.
RECENT_ERROR_SECONDS = 24 * 3600


# Telegram unreachable, a 5xx, or its flood control: may pass on a retry.
TRANSIENT = (NetworkError, RetryAfter)


def _unreachable(name: str, error: TelegramError) -> Result:
    return Result(name, problem=f"Telegram not reachable ({error.message}): check this "
                  "server's network and TELEGRAM_API_BASE_URL, then retry", permanent=False)


async def check_token(bot: Bot) -> tuple[Result, User | None]:
    """getMe: Telegram knows the token."""
    try:
        me = await bot.get_me()
    except (InvalidToken, Forbidden):
        return Result("token", problem="Telegram refuses TELEGRAM_BOT_TOKEN (Unauthorized): "
                      "copy the token again from @BotFather (/mybots -> your bot -> API Token)"
                      ), None
    except TRANSIENT as error:
        return _unreachable("token", error), None
    return Result("token", f"@{me.username} (id {me.id})"), me


async def check_staff_group(bot: Bot, me: User, chat_id: int) -> list[Result]:
    """getChat and getChatMember: a supergroup with Topics on, the bot an administrator
    that may manage topics and can read the staff's messages."""
    name = f"staff group {chat_id}"
    try:
        chat = await bot.get_chat(chat_id)
    except Forbidden as error:
        return [Result(name, problem=f"the bot is not in the group ({error.message}): add "
                       f"it again (group -> Add Members -> @{me.username}) as an administrator")]
    except BadRequest as error:
        if "chat not found" not in error.message.lower():
            return [Result(name, problem=f"Telegram refuses the id ({error.message}): check "
                           "it in STAFF_CHAT_IDS (a supergroup's id starts with -100)")]
        return [Result(name, problem="chat not found: check the id in STAFF_CHAT_IDS (a "
                       "supergroup's id starts with -100) and that the bot was added to the "
                       "group (group -> Add Members -> @" f"{me.username})")]
    except TRANSIENT as error:
        return [_unreachable(name, error)]
    results = []
    if chat.type != "supergroup":
        results.append(Result(name, problem=f"is a {chat.type}, not a supergroup: turn Topics "
                              "on in the group (Edit -> Topics), which makes it a supergroup "
                              "with a new -100... id; put that id in STAFF_CHAT_IDS"))
    elif not chat.is_forum:
        results.append(Result(name, problem="Topics are off: turn them on in the group "
                              "(Edit -> Topics)"))
    else:
        results.append(Result(name, f"{chat.title!r}, a supergroup with Topics on"))
    try:
        member = await bot.get_chat_member(chat_id, me.id)
    except TRANSIENT as error:
        return [*results, _unreachable(f"{name} bot rights", error)]
    admin = isinstance(member, ChatMemberOwner | ChatMemberAdministrator)
    rights = f"{name} bot rights"
    if not admin:
        results.append(Result(rights, problem=f"@{me.username} is not an administrator "
                              f"({member.status}): group -> Edit -> Administrators -> Add "
                              f"Admin -> @{me.username}, with 'Manage topics' on"))
    elif isinstance(member, ChatMemberAdministrator) and not member.can_manage_topics:
        results.append(Result(rights, problem=f"@{me.username} may not manage topics: group "
                              f"-> Edit -> Administrators -> @{me.username} -> turn 'Manage "
                              "topics' on"))
    else:
        results.append(Result(rights, "an administrator that may manage topics"))
    reads = f"{name} staff messages"
    if admin or me.can_read_all_group_messages:
        results.append(Result(reads, "the bot sees them"))
    else:
        results.append(Result(reads, problem="the bot cannot see the staff's messages in "
                              "topics (privacy mode is on and it is no administrator): make "
                              "it an administrator, or @BotFather -> /mybots -> Bot Settings "
                              "-> Group Privacy -> Turn off, then remove and re-add the bot"))
    return results


async def check_webhook(bot: Bot, settings: Settings) -> Result:
    """getWebhookInfo: no foreign webhook, no recent delivery error, the pending updates."""
    try:
        info = await bot.get_webhook_info()
    except TRANSIENT as error:
        return _unreachable("webhook", error)
    expected = settings.webhook.url if settings.mode == "webhook" and settings.webhook else ""
    pending = f"{info.pending_update_count} updates pending"
    if info.url and info.url != expected:
        wanted = f"WEBHOOK_URL {expected}" if expected else "polling (no WEBHOOK_URL)"
        return Result("webhook", problem=f"Telegram delivers to {info.url}, not {wanted}: "
                      "another deployment uses this token; stop it, or if it is gone, "
                      "delete its webhook (https://api.telegram.org/bot<token>/deleteWebhook)")
    if info.url and info.last_error_date is not None and info.last_error_message:
        age = time.time() - info.last_error_date.timestamp()
        if age < RECENT_ERROR_SECONDS:
            return Result("webhook", warning=True, problem=f"Telegram's last delivery failed "
                          f"{int(age // 60)} min ago: {info.last_error_message!r} ({pending}): "
                          f"check that {info.url} reaches this server (DNS, TLS certificate, "
                          "port 443/80/88/8443, WEBHOOK_SECRET)")
    where = info.url or "none (polling)"
    return Result("webhook", f"{where}, {pending}")


async def telegram_checks(bot: Bot, settings: Settings) -> list[Result]:
    token, me = await check_token(bot)
    if me is None:
        return [token]
    results = [token]
    for chat_id in staff_groups(settings):
        results += await check_staff_group(bot, me, chat_id)
    results.append(await check_webhook(bot, settings))
    return results


def staff_groups(settings: Settings) -> tuple[int, ...]:
    if settings.staff_chat_ids:
        return settings.staff_chat_ids
    return (settings.staff_chat_id,) if settings.staff_chat_id is not None else ()


@asynccontextmanager
async def telegram_bot(settings: Settings, token: str) -> AsyncIterator[Bot]:
    """A Bot for the checks, its connections open but not `initialize`d: that would call
    getMe itself and raise before the token check could say what is wrong."""
    api = settings.api_base_url
    requests = (HTTPXRequest(), HTTPXRequest())
    for request in requests:
        await request.initialize()
    try:
        yield Bot(token, base_url=f"{api}/bot", base_file_url=f"{api}/file/bot",
                  request=requests[0], get_updates_request=requests[1])
    finally:
        for request in requests:
            await request.shutdown()


async def startup_checks(
    bot: Bot,
    settings: Settings,
    delays: Sequence[float] = STARTUP_RETRY_DELAYS,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> list[Result]:
    """The Telegram checks before the bot starts: SystemExit(2) on one that can never pass,
    retries with backoff while Telegram is unreachable (SystemExit(1) when it stays so)."""
    return await settle(lambda: telegram_checks(bot, settings), "Telegram", delays, sleep)


async def settle(
    run: Callable[[], Awaitable[list[Result]]],
    what: str,
    delays: Sequence[float] = STARTUP_RETRY_DELAYS,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> list[Result]:
    """Run start-up checks until none fails: SystemExit(2) on one that can never pass,
    retries with backoff on transient ones (SystemExit(1) when they stay)."""
    for attempt in range(len(delays) + 1):
        results = await run()
        for result in results:
            if result.problem is not None:
                log.warning("start-up check", extra={"check": result.line()})
        if any(r.failed and r.permanent for r in results):
            stop_start(results, 2)
        if not any(r.failed for r in results):
            return results
        if attempt < len(delays):
            log.warning("start-up check failed, retrying",
                        extra={"checks": what, "retry_in_seconds": delays[attempt]})
            await sleep(delays[attempt])
    stop_start(results, 1)


class StartRefused(SystemExit):
    """The start-up checks stopped the start: the exit code, and the lines put on stderr."""

    def __init__(self, code: int, lines: Sequence[str]) -> None:
        super().__init__(code)
        self.lines = tuple(lines)


def stop_start(results: Sequence[Result], code: int) -> NoReturn:
    """Print each problem as one `error:` line on stderr and stop the start with `code`."""
    lines = [r.line() for r in results if r.failed or (code == 2 and r.problem is not None)]
    for line in lines:
        print(f"error: {line}", file=sys.stderr, flush=True)
    raise StartRefused(code, lines)


async def run_checks(settings: Settings) -> list[Result]:
    """Every check, against Telegram (or, without a token, a sandbox emulator) and the server."""
    import dataclasses

    emulator = None
    token = settings.bot_token
    if token is None:  # the sandbox: the emulator set up as `make run` sets it up
        from bot.sandbox_world import sandbox_world
        from emulator.server import BotApiEmulator

        emulator = BotApiEmulator()
        await emulator.start()
        group = await sandbox_world(emulator)
        token = emulator.token
        settings = dataclasses.replace(
            settings, bot_token=token, api_base_url=emulator.base_url,
            staff_chat_id=group["id"], staff_chat_ids=(group["id"],),
        )
    try:
        async with telegram_bot(settings, token) as bot:
            results = await telegram_checks(bot, settings)
    finally:
        if emulator is not None:
            await emulator.stop()
    return results + await server_checks(settings)


def main() -> None:
    from bot.config import settings_or_exit

    settings = settings_or_exit()
    logging.basicConfig(level=logging.ERROR)
    if settings.sandbox:
        print("No TELEGRAM_BOT_TOKEN: checking the sandbox (the local emulator)", flush=True)
    results = asyncio.run(run_checks(settings))
    for result in results:
        print(result.line(), flush=True)
    sys.exit(1 if any(r.failed for r in results) else 0)


if __name__ == "__main__":
    main()
