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
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench.bare import BarePatient, load_agent
from bench.cpu import RigCpu
from bench.failover import kill_after, repeated_sends, takeovers
from bench.load import run_load
from bench.machine import machine_info
from bench.outcome import BatchOutcome, ConversationOutcome
from bench.procfs import cpu_seconds, machine_cpu_seconds, tree_cpu_seconds
from bench.report import format_table, last_training_figure, write_json
from bench.script import CONVERSATION_FILE, Conversation
from bench.service import FIRST_USER_ID, running_service, start_sampler, stop_sampler
from bench.stats import ratio, summarize, throughput
from bench.through_emulator import EmulatedPatient

RESULTS = Path(__file__).with_name("results")
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
    parser.add_argument(
        "--kill-one-after",
        type=float,
        default=None,
        help="SIGKILL the last worker this many seconds into the load (failover; 2+ workers)",
    )
    parser.add_argument(
        "--console",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="each worker serves the web console as in production; --no-console: "
        "CONSOLE_LISTEN=off, to measure what the console costs the bot",
    )
    parser.add_argument(
        "--conversation",
        type=Path,
        default=CONVERSATION_FILE,
        help="the patients' script: bench/conversation.yml (English) or conversation_hi.yml "
        "(the same conversation in Hindi)",
    )
    parser.add_argument("--cold-start-timeout", type=float, default=300.0)
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument(
        "--database",
        choices=("auto", "sqlite", "postgresql"),
        default="auto",
        help="the bot's DATABASE_URL: a temporary SQLite file, or a fresh database of the run's "
        "own (bench_e2e_<pid>_<random>, dropped at the end) on $BENCH_POSTGRES_URL's server; "
        "auto: PostgreSQL when reachable",
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
    if args.kill_one_after is not None and args.workers < 2:
        parser.error("--kill-one-after needs --workers 2 or more")
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


def cpu_per_turn(
    machine: dict[str, float],
    workers: list[dict[str, float]],
    turns: int,
    processes: float | None = None,
) -> dict[str, float] | None:
    """Milliseconds of CPU per answered turn: the whole machine's busy time (every process,
    the kernel and other people's work too), the workers with their children (action
    servers, receipt drawing), and every process of the run counted by itself (bench/cpu.py)."""
    if turns <= 0:
        return None
    workers_total = sum(w["bot"] + w["bot_children"] for w in workers)
    figures = {
        "machine": round(1000 * machine["busy"] / turns, 2),
        "workers_and_children": round(1000 * workers_total / turns, 2),
    }
    if processes is not None:
        figures["run_processes"] = round(1000 * processes / turns, 2)
    return figures


async def run_through_emulator(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    conversation = Conversation.load(args.conversation)
    console_off = None if args.console else {"CONSOLE_LISTEN": "off"}
    async with running_service(args, workdir, console_off) as service:
        workers, emulator = service.workers, service.emulator
        bot = workers[0]
        figures = service.figures

        async def converse(user_id: int) -> ConversationOutcome:
            patient = EmulatedPatient(emulator, user_id, conversation, args.turn_timeout)
            return await patient.converse()

        sampler = start_sampler(args, bot.pid, "load")
        proxy_pid = None if service.proxy is None else service.proxy.pid
        rig = RigCpu([w.pid for w in workers], proxy_pid, service.database_url)
        rig_before = rig.snapshot()
        cpu_before = [cpu_snapshot(worker.pid) for worker in workers]
        machine_before = machine_cpu_seconds()
        killer = None
        if args.kill_one_after is not None:
            killer = asyncio.create_task(kill_after(args.kill_one_after, workers[-1], cpu_snapshot))
        batch = await run_load(
            converse, args.patients, args.conversations, args.duration, "bot", FIRST_USER_ID
        )
        machine_after = machine_cpu_seconds()
        cpu_after = [cpu_snapshot(worker.pid) for worker in workers]
        if killer is not None:
            if not killer.done():
                killer.cancel()
                raise RuntimeError("the load ended before the worker was to be killed")
            killed = killer.result()
            cpu_after[-1] = killed.pop("cpu_at_kill")
            # The slowest turns are those the survivor took over.
            latencies = batch.latencies
            user_ids = list(range(FIRST_USER_ID, FIRST_USER_ID + len(batch.conversations)))
            figures["failover"] = {
                "killed_after_s": killed["killed_after_s"],
                **await repeated_sends(emulator, user_ids),
                **takeovers("\n".join(w.log_path.read_text(errors="replace") for w in workers)),
                "slowest_turn_s": round(max(latencies, default=0.0), 2),
            }
        else:
            # The run's own processes, each counted: other people's work is not.
            figures["processes_cpu_seconds_during_load"] = rig.snapshot().spent(rig_before)
        figures["cpu_seconds_during_load"] = cpu_spent(cpu_before[0], cpu_after[0])
        # Everyone's CPU, PostgreSQL, nginx and the kernel included: how much was left idle.
        figures["machine_cpu_seconds_during_load"] = cpu_spent(machine_before, machine_after)
        per_worker = [cpu_spent(b, a) for b, a in zip(cpu_before, cpu_after, strict=True)]
        if len(workers) > 1:
            figures["cpu_seconds_during_load_per_worker"] = per_worker
        stop_sampler(sampler, figures, "load")
        service.check_alive()
        for worker in workers:
            await worker.stop()
        figures.update(batch_figures(batch))
        figures["cpu_ms_per_turn"] = cpu_per_turn(
            figures["machine_cpu_seconds_during_load"], per_worker, batch.turns,
            (figures.get("processes_cpu_seconds_during_load") or {}).get("total"),
        )  # fmt: skip
        assert bot.memory is not None
        figures["memory"] = bot.memory.as_dict()
        if len(workers) > 1:
            figures["memory_per_worker"] = [w.memory.as_dict() for w in workers if w.memory]
        return figures


async def run_bare(args: argparse.Namespace, model: Path) -> dict[str, Any]:
    from bot.actionserver import ActionServer

    conversation = Conversation.load(args.conversation)
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
