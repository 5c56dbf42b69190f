"""`python -m bench.run`: the bot through the emulator against bare Rasa, in one run.

    python -m bench.run --patients 200 [--conversations N | --duration S] [--no-train]

Starts the Bot API emulator here and the real bot (`python -m bot`) as its own process,
runs N concurrent simulated patients through whole conversations, then drives the same
conversations into `Agent.handle_text` of the same model at the same concurrency, and
reports latency percentiles, throughput, lost turns, peak RSS, cold start and training time
as a table and as bench/results/<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import shlex
import sys
import tempfile
import time
from collections.abc import Coroutine
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench.bare import BarePatient, load_agent
from bench.botprocess import BotProcess, bot_environment
from bench.databases import database_url
from bench.load import run_load
from bench.machine import machine_info
from bench.outcome import BatchOutcome, ConversationOutcome
from bench.procfs import cpu_seconds, machine_cpu_seconds, tree_cpu_seconds
from bench.profiling import Sampler, top_frames
from bench.report import format_table, last_training_figure, write_json
from bench.scaleout.proxy import Proxy
from bench.script import Conversation
from bench.stats import ratio, summarize, throughput
from bench.through_emulator import EmulatedPatient, prepare_emulator

RESULTS = Path(__file__).with_name("results")
FIRST_USER_ID = 720_000_001
BARE_FIRST_USER_ID = 820_000_001


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=200, help="concurrent patients")
    parser.add_argument(
        "--conversations", type=int, default=None, help="conversations in all (default: one each)"
    )
    parser.add_argument(
        "--duration", type=float, default=None, help="seconds of load instead of a count"
    )
    parser.add_argument("--turn-timeout", type=float, default=60.0, help="seconds before lost")
    parser.add_argument(
        "--train", action=argparse.BooleanOptionalAction, default=True, help="time `rasa train`"
    )
    parser.add_argument("--bare", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument(
        "--rate-limit",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="the bot with python-telegram-bot's AIORateLimiter, as in production",
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="bot workers; more than one means webhook mode"
    )
    parser.add_argument(
        "--webhook", action="store_true", help="webhook mode behind nginx even with one worker"
    )
    parser.add_argument(
        "--redis-url",
        default="redis://127.0.0.1:6379/14",
        help="REDIS_URL of the workers (Rasa's lock store) when there are several",
    )
    parser.add_argument("--cold-start-timeout", type=float, default=300.0)
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument(
        "--database",
        choices=("auto", "sqlite", "postgresql"),
        default="auto",
        help="the bot's DATABASE_URL: a temporary SQLite file, or a fresh bench_e2e database "
        "on $BENCH_POSTGRES_URL's server; auto: PostgreSQL when reachable",
    )
    parser.add_argument(
        "--profile",
        choices=("cpu", "wall"),
        default=None,
        help="sample the bot with py-spy (wall: idle threads too), into results/<run>-*.txt",
    )
    args = parser.parse_args(argv)
    if args.patients < 1 or args.workers < 1:
        parser.error("--patients and --workers must be at least 1")
    if args.conversations is None:
        args.conversations = args.patients
    return args


def batch_figures(batch: BatchOutcome) -> dict[str, Any]:
    latencies = batch.latencies
    return {
        "conversations": len(batch.conversations),
        "completed": batch.completed,
        "completed_out_of_order": batch.out_of_order,
        "turns": batch.turns,
        "lost_turns": batch.lost_turns,
        "errors": sorted(set(batch.errors))[:10],
        "elapsed_s": round(batch.finished - batch.started, 2),
        "throughput_turns_per_s": round(throughput(batch.turns, batch.started, batch.finished), 2),
        "latency": summarize(latencies).as_dict() if latencies else None,
        "latency_by_step": {
            step: {k: round(v, 4) for k, v in summarize(values).as_dict().items()}
            for step, values in sorted(batch.by_step().items())
        },
    }


def cpu_snapshot(bot_pid: int) -> dict[str, float]:
    """CPU seconds so far: the bot, its children (the action server), and this process
    (the emulator and the simulated patients), to see who the run was waiting for."""
    bot = tree_cpu_seconds(bot_pid)
    return {
        "bot": bot["self"],
        "bot_children": bot["children"],
        "bench_and_emulator": cpu_seconds(os.getpid()) or 0.0,
    }


def cpu_spent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {key: round(after[key] - before.get(key, 0.0), 2) for key in after}


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
    from bench.scaleout.proxy import Proxy
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


async def run_through_emulator(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    from emulator.server import BotApiEmulator

    conversation = Conversation.load()
    emulator = BotApiEmulator()
    await emulator.start()
    workers: list[BotProcess] = []
    proxy: Proxy | None = None
    try:
        staff_chat_id = await prepare_emulator(emulator)
        url = database_url(args.database, workdir)
        rate_limit = {"TELEGRAM_RATE_LIMIT": "on" if args.rate_limit else "off"}
        env = bot_environment(emulator.token, emulator.base_url, staff_chat_id, url, rate_limit)
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
        cold_start = warmup.first_reply_at - bot.spawned_at
        for worker in workers[1:]:
            worker.start()
            await wait_started([worker], args.cold_start_timeout)

        async def converse(user_id: int) -> ConversationOutcome:
            patient = EmulatedPatient(emulator, user_id, conversation, args.turn_timeout)
            return await patient.converse()

        sampler = start_sampler(args, bot.pid, "load")
        cpu_before = [cpu_snapshot(worker.pid) for worker in workers]
        machine_before = machine_cpu_seconds()
        batch = await run_load(
            converse, args.patients, args.conversations, args.duration, "bot", FIRST_USER_ID
        )
        machine_after = machine_cpu_seconds()
        cpu_after = [cpu_snapshot(worker.pid) for worker in workers]
        figures["cpu_seconds_during_load"] = cpu_spent(cpu_before[0], cpu_after[0])
        # Everyone's CPU, PostgreSQL, nginx and the kernel included: how much was left idle.
        figures["machine_cpu_seconds_during_load"] = cpu_spent(machine_before, machine_after)
        if len(workers) > 1:
            figures["cpu_seconds_during_load_per_worker"] = [
                cpu_spent(b, a) for b, a in zip(cpu_before, cpu_after, strict=True)
            ]
        stop_sampler(sampler, figures, "load")
        for worker in workers:
            if worker.exited() is not None:
                raise RuntimeError(f"a worker exited during the run; log:\n{worker.log_tail()}")
            await worker.stop()
        figures.update(batch_figures(batch))
        figures["cold_start_s"] = round(cold_start, 2)
        assert bot.memory is not None
        figures["memory"] = bot.memory.as_dict()
        if len(workers) > 1:
            figures["memory_per_worker"] = [w.memory.as_dict() for w in workers if w.memory]
        return figures
    finally:
        for worker in workers:
            await worker.stop()
        if proxy is not None:
            proxy.stop()
        await emulator.stop()


async def run_bare(args: argparse.Namespace, model: Path) -> dict[str, Any]:
    from bot.actionserver import ActionServer

    conversation = Conversation.load()
    async with ActionServer() as actions:
        started = time.perf_counter()
        agent = await load_agent(model, actions.webhook_url)
        load_seconds = time.perf_counter() - started
        warmed = await BarePatient(agent, "bench-warmup", conversation, 120).converse()
        if not warmed.completed:
            raise RuntimeError(f"the bare warm-up conversation failed: {warmed.error}")

        async def converse(user_id: int) -> ConversationOutcome:
            patient = BarePatient(agent, str(user_id), conversation, args.turn_timeout)
            return await patient.converse()

        batch = await run_load(
            converse,
            args.patients,
            args.conversations,
            args.duration,
            "bare Rasa",
            BARE_FIRST_USER_ID,
        )
    figures = batch_figures(batch)
    figures["agent_load_s"] = round(load_seconds, 2)
    return figures


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def run(args: argparse.Namespace, command: str) -> dict[str, Any]:
    from bot.model import ensure_model

    model = await asyncio.to_thread(ensure_model)
    results: dict[str, Any] = {
        "command": command,
        "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "patients": args.patients,
        "database": args.database,
        "workers": args.workers,
        "conversations_requested": args.conversations,
        "duration_requested_s": args.duration,
        "model_sha256": sha256_of(model),
    }
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        workdir = Path(tmp)
        results["e2e"] = await run_through_emulator(args, workdir)
        if args.bare:
            results["bare"] = await run_bare(args, model)
        if args.train:
            from bench.training import time_training

            results["training_s"] = round(
                await asyncio.to_thread(time_training, workdir / "train.log"), 1
            )
        else:
            earlier = last_training_figure(args.results)
            if earlier is not None:
                results["training_s"], results["training_from"] = earlier
    results["model_sha256_after"] = sha256_of(model)
    e2e_p95 = (results["e2e"].get("latency") or {}).get("p95")
    bare_p95 = ((results.get("bare") or {}).get("latency") or {}).get("p95")
    if e2e_p95 is not None and bare_p95 is not None:
        found = ratio(e2e_p95, bare_p95)
        results["p95_ratio"] = None if found is None else round(found, 3)
    return results


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    args.results.mkdir(parents=True, exist_ok=True)
    args.stem = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + f"-p{args.patients}"
    command = "python -m bench.run " + shlex.join(sys.argv[1:] if argv is None else argv)
    results = asyncio.run(run(args, command))
    print()
    print(format_table(results))
    print(f"results: {write_json(results, args.results, args.stem)}")


if __name__ == "__main__":
    main()
