"""Two webhook workers behind nginx share PostgreSQL and Redis; one is SIGKILLed mid-load.

The other, never restarted, takes over the killed worker's stored but unprocessed updates
once their leases and turn locks run out (bot/failover.py): every message is answered, the
dialogue runs once per message, and at most the sends in flight at the kill repeat.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from bench.scaleout.proxy import Proxy, nginx_binary
from bot.actionserver import free_port
from bot.model import ensure_model
from bot.paths import ROOT
from emulator.limits import FloodLimits
from emulator.server import BotApiEmulator
from storage import sync_url
from tests.e2e.test_crash_recovery import replies_per_chat, wait_for_replies
from tests.pg import fresh_database

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

PATIENTS = 40
FIRST_PATIENT = 811_000_001
REDIS_URL = "redis://127.0.0.1:6379/13"
# bot/app.py lets 64 turns run at once on PostgreSQL: at most that many sends are in flight.
MAX_TURNS_IN_FLIGHT = 64


def redis_flushed() -> None:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).flushdb()
    except Exception as error:
        pytest.skip(f"Redis not reachable at {REDIS_URL} ({type(error).__name__})")


def spawn_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as sink:
        # Its own process group, so SIGKILL takes its action server down with it.
        return subprocess.Popen(
            [sys.executable, "-m", "bot"], cwd=ROOT, env=env, stdout=sink, stderr=sink,
            start_new_session=True,
        )  # fmt: skip


def text_of(log: Path) -> str:
    return log.read_text(errors="replace")


async def started(process: subprocess.Popen[bytes], log: Path, timeout: float = 300) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while '"bot started"' not in text_of(log):
        assert process.poll() is None, text_of(log)[-3000:]
        assert asyncio.get_running_loop().time() < deadline, "the worker did not start"
        await asyncio.sleep(0.5)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


async def test_a_killed_workers_updates_are_answered_by_the_other_without_a_restart(
    tmp_path: Path,
) -> None:
    if nginx_binary() is None:
        pytest.skip("nginx is not installed (apt-get install -y nginx-light)")
    ensure_model()  # here, not in a worker: both must load the same model, untrained
    database_url = fresh_database("failover_e2e")
    redis_flushed()
    # The workers run without their rate limiter so the kill lands mid-burst; what is
    # measured is the takeover, not Telegram's pacing, so the emulator's limits are off too.
    emulator = BotApiEmulator(flood_limits=FloodLimits.off())
    await emulator.start()
    chats = [FIRST_PATIENT + n for n in range(PATIENTS)]
    for chat in chats:
        await emulator.add_user(chat, first_name="Patient", last_name=str(chat))
    staff = await emulator.create_group("Care team", forum=True)
    proxy_port, ports = free_port(), [free_port(), free_port()]
    proxy = Proxy(tmp_path, proxy_port, ports)
    base = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": emulator.token,
        "TELEGRAM_API_BASE_URL": emulator.base_url,
        "STAFF_CHAT_ID": str(staff["id"]),
        "DATABASE_URL": database_url,
        "PSEUDONYM_SECRET": "failover-test",
        "TELEGRAM_RATE_LIMIT": "off",
        "TELEGRAM_MODE": "webhook",
        "WEBHOOK_URL": f"http://127.0.0.1:{proxy_port}/telegram",
        "WEBHOOK_SECRET": "failover-secret",
        "REDIS_URL": REDIS_URL,
        "CONSOLE_LISTEN": "127.0.0.1:0",
    }
    logs = [tmp_path / "worker1.log", tmp_path / "worker2.log"]
    workers: list[subprocess.Popen[bytes]] = []
    proxy.start()
    try:
        for port, log in zip(ports, logs, strict=True):
            workers.append(spawn_worker({**base, "WEBHOOK_LISTEN": f"127.0.0.1:{port}"}, log))
            await started(workers[-1], log)  # one after the other: they share two CPUs
        await emulator.send_user_message(chats[0], "hello")
        await emulator.wait_for_bot_messages(chats[0], 1, timeout=60)
        sent: Counter[int] = Counter({chats[0]: 1})
        for text in ("hello", "thanks"):
            for chat in chats:
                await emulator.send_user_message(chat, text)
                sent[chat] += 1
        expected = sum(sent.values())
        while sum((await replies_per_chat(emulator, chats)).values()) < expected // 4:  # noqa: ASYNC110 (other processes)
            await asyncio.sleep(0.05)
        os.killpg(workers[1].pid, signal.SIGKILL)
        workers[1].wait(timeout=30)
        killed_at = asyncio.get_running_loop().time()
        assert sum((await replies_per_chat(emulator, chats)).values()) < expected, "too late"
        # Patients keep writing; only the first worker is left behind the proxy.
        for chat in chats:
            await emulator.send_user_message(chat, "hi again")
            sent[chat] += 1

        await wait_for_replies(emulator, chats, sent, timeout=180)
        took = asyncio.get_running_loop().time() - killed_at
        await asyncio.sleep(5)  # anything sent twice would arrive now
        counts = await replies_per_chat(emulator, chats)
        missing = {chat: sent[chat] - counts[chat] for chat in chats if counts[chat] < sent[chat]}
        doubled = {chat: counts[chat] - sent[chat] for chat in chats if counts[chat] > sent[chat]}
        assert not missing, f"{len(missing)} chats lack replies after {took:.0f} s: {missing}"
        assert workers[0].poll() is None, "the first worker is still the one serving"
        survivor_log = text_of(logs[0])
        assert '"took over updates of a stopped worker"' in survivor_log, (
            "the killed worker left nothing stored to take over: the kill tested nothing"
        )
        # Only a send completed just before the kill and not yet marked sent repeats, verbatim.
        assert sum(doubled.values()) <= MAX_TURNS_IN_FLIGHT, doubled
        for chat in doubled:
            replies = [m["plain_text"] for m in await emulator.bot_messages(chat)]
            repeats = sum(a == b for a, b in itertools.pairwise(replies))
            assert repeats >= doubled[chat], f"chat {chat} got a new reply twice: {replies}"
    finally:
        for worker in workers:
            stop(worker)
        proxy.stop()
        await emulator.stop()

    engine = sa.create_engine(sync_url(database_url))
    with engine.connect() as connection:
        unprocessed = connection.scalar(
            sa.text("SELECT count(*) FROM inbox_updates WHERE processed_at IS NULL")
        )
        incoming = connection.scalar(
            sa.text("SELECT count(*) FROM transcript_messages WHERE direction = 'in'")
        )
        outgoing = connection.scalar(
            sa.text("SELECT count(*) FROM transcript_messages WHERE direction = 'out'")
        )
    engine.dispose()
    # The dialogue ran once per message: one incoming and one reply recorded for each.
    assert unprocessed == 0
    assert incoming == outgoing == 1 + PATIENTS * 3
