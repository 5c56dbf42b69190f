"""The bot under test as a running service: emulator, workers (behind nginx), warm-up.

`running_service` is what every load mode shares (closed-loop `bench.run`, open-loop
`bench.open_loop`): it starts the emulator, spawns the first worker with a warm-up patient
whose first reply gives the cold start, then the other workers, and stops it all at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.botprocess import BotProcess, bot_environment
from bench.databases import database_url, drop_postgres
from bench.outcome import ConversationOutcome
from bench.profiling import Sampler, top_frames
from bench.scaleout.proxy import Proxy
from bench.script import Conversation
from bench.through_emulator import EmulatedPatient, prepare_staff_groups
from emulator.limits import NO_LIMITS, TELEGRAM_LIMITS
from emulator.server import BotApiEmulator

FIRST_USER_ID = 720_000_001
RESULTS = Path(__file__).with_name("results")


def add_service_arguments(parser: argparse.ArgumentParser, *, rate_limit: bool) -> None:
    """The options `running_service` reads, for a bench mode's parser."""
    parser.add_argument("--database", choices=("auto", "sqlite", "postgresql"), default="auto")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--webhook", action="store_true")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--rate-limit", action=argparse.BooleanOptionalAction, default=rate_limit)
    parser.add_argument("--cold-start-timeout", type=float, default=300.0)
    parser.add_argument("--results", type=Path, default=RESULTS)


@dataclass
class BotService:
    """What a load mode drives: the emulator and the workers, already warmed up."""

    emulator: BotApiEmulator
    workers: list[BotProcess]
    proxy: Proxy | None
    database_url: str
    figures: dict[str, Any] = field(default_factory=dict)
    staff_chat_ids: list[int] = field(default_factory=list)

    def check_alive(self) -> None:
        """Fail the run if a worker died that was not meant to."""
        for worker in self.workers:
            if worker.exited() is not None and not worker.killed:
                raise RuntimeError(f"a worker exited during the run; log:\n{worker.log_tail()}")


def start_sampler(args: argparse.Namespace, pid: int, phase: str) -> Sampler | None:
    if not args.profile:
        return None
    sampler = Sampler(
        pid, args.results / f"{args.stem}-{phase}.pyspy.txt", idle=args.profile == "wall"
    )
    if not sampler.start():
        print("py-spy is not installed: no profile", file=sys.stderr)
        return None
    return sampler


def stop_sampler(sampler: Sampler | None, figures: dict[str, Any], phase: str) -> None:
    """Stop sampling and keep the top frames (by samples anywhere on the stack)."""
    if sampler is None:
        return
    written = sampler.stop()
    if written is None:
        return
    text = written.read_text()
    figures["profiles"][phase] = {
        "file": written.name,
        "inclusive": [f"{f.share:6.1%} {f.frame}" for f in top_frames(text, 25)],
        "self": [f"{f.share:6.1%} {f.frame}" for f in top_frames(text, 15, inclusive=False)],
    }


def worker_environments(
    args: argparse.Namespace, env: dict[str, str], workdir: Path
) -> tuple[list[dict[str, str]], Proxy | None]:
    """One environment per worker; with webhooks, each listens on its own port behind nginx."""
    if not args.webhook and args.workers == 1:
        return [env], None
    from bot.actionserver import free_port

    proxy_port = free_port()
    ports = [free_port() for _ in range(args.workers)]
    proxy = Proxy(workdir, proxy_port, ports)
    shared = {
        "TELEGRAM_MODE": "webhook",
        "WEBHOOK_URL": f"http://127.0.0.1:{proxy_port}/telegram",
        "WEBHOOK_SECRET": "bench-webhook-secret",
    }
    if args.workers > 1:
        shared["REDIS_URL"] = args.redis_url
    return [{**env, **shared, "WEBHOOK_LISTEN": f"127.0.0.1:{port}"} for port in ports], proxy


async def until_a_worker_exits(
    work: Coroutine[Any, Any, ConversationOutcome], workers: list[BotProcess]
) -> ConversationOutcome:
    """Run `work`, but fail at once if a worker process ends meanwhile (not at a timeout)."""
    task = asyncio.ensure_future(work)
    while not task.done():
        for worker in workers:
            if worker.exited() is not None:
                task.cancel()
                raise RuntimeError(
                    f"a worker exited with code {worker.exited()}; log:\n{worker.log_tail()}"
                )
        await asyncio.wait({task}, timeout=0.5)
    return task.result()


async def wait_started(workers: list[BotProcess], timeout: float) -> None:
    """Until every worker's log says it started (they share the load only once all are up)."""
    deadline = time.perf_counter() + timeout
    while not all(w.has_started() for w in workers):
        for worker in workers:
            if worker.exited() is not None:
                raise RuntimeError(f"a worker exited at start; log:\n{worker.log_tail()}")
        if time.perf_counter() > deadline:
            raise RuntimeError("the workers did not all start in time")
        await asyncio.sleep(0.5)


@asynccontextmanager
async def running_service(
    args: argparse.Namespace, workdir: Path, extra_env: dict[str, str] | None = None
) -> AsyncIterator[BotService]:
    """Emulator, fresh database, workers started and warmed up; everything stopped after."""
    conversation = Conversation.load()
    # With the bot's rate limiter, Telegram's limits (the emulator's default). Without it the
    # bench measures the bot's own capacity, far past Telegram's 30 messages a second, so
    # the emulator does not limit either.
    emulator = BotApiEmulator(flood_limits=TELEGRAM_LIMITS if args.rate_limit else NO_LIMITS)
    await emulator.start()
    workers: list[BotProcess] = []
    proxy: Proxy | None = None
    url = ""
    try:
        staff_chat_ids = await prepare_staff_groups(emulator, getattr(args, "staff_groups", 1))
        url = database_url(args.database, workdir)
        extra = {
            "TELEGRAM_RATE_LIMIT": "on" if args.rate_limit else "off",
            "STAFF_CHAT_IDS": ",".join(str(chat_id) for chat_id in staff_chat_ids),
            **(extra_env or {}),
        }
        env = bot_environment(emulator.token, emulator.base_url, staff_chat_ids[0], url, extra)
        environments, proxy = worker_environments(args, env, workdir)
        if proxy is not None:
            proxy.start()
        workers = [
            BotProcess(worker_env, args.results / f"{args.stem}-bot{n}.log")
            for n, worker_env in enumerate(environments, start=1)
        ]
        bot = workers[0]
        warmup = EmulatedPatient(emulator, FIRST_USER_ID - 1, conversation, args.cold_start_timeout)
        # The others start only once the first is up: starting together, they race to
        # migrate and to create Rasa's tracker table, and share the CPUs for the model load.
        bot.start()
        sampler = start_sampler(args, bot.pid, "cold")
        warmed = await until_a_worker_exits(warmup.converse(), [bot])
        figures: dict[str, Any] = {
            "profiles": {},
            "database": url.split(":", 1)[0],
            "workers": len(workers),
            "mode": "webhook" if proxy is not None else "polling",
        }
        stop_sampler(sampler, figures, "cold")
        if warmup.first_reply_at is None or not warmed.completed:
            raise RuntimeError(
                f"the warm-up conversation failed ({warmed.error}); bot log:\n{bot.log_tail()}"
            )
        figures["cold_start_s"] = round(warmup.first_reply_at - bot.spawned_at, 2)
        figures["start_phases_s"] = bot.start_phases()
        for worker in workers[1:]:
            worker.start()
            await wait_started([worker], args.cold_start_timeout)
        yield BotService(emulator, workers, proxy, url, figures, staff_chat_ids)
    finally:
        for worker in workers:
            await worker.stop()
        if proxy is not None:
            proxy.stop()
        await emulator.stop()
        if url:
            await asyncio.to_thread(drop_postgres, url)
