"""What a Hindi turn costs against an English one: the same conversation in each language,
through the real bot and the emulator, in alternating batches on one running service.

    python -m bench.languages --database postgresql            # rate limiter on (production)

Alternating batches on one service keep the comparison fair on a shared machine: whatever
slows the host slows both languages alike. Each batch's patients converse at once, then the
run waits for their receipts (drawn in the bot's child process) before the CPU is read.
Counted: the worker and its children (action server, receipt drawing), by /proc.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench.cpu import RigCpu
from bench.machine import machine_info
from bench.procfs import PROC, children, cpu_seconds
from bench.report import write_json
from bench.script import CONVERSATION_FILE, Conversation
from bench.service import FIRST_USER_ID, add_service_arguments, running_service
from bench.through_emulator import EmulatedPatient
from emulator.server import BotApiEmulator

SCRIPTS = {"en": CONVERSATION_FILE, "hi": CONVERSATION_FILE.with_name("conversation_hi.yml")}
RECEIPT_WAIT_SECONDS = 30.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.languages", description=__doc__)
    add_service_arguments(parser, rate_limit=True)
    parser.add_argument("--rounds", type=int, default=8, help="batches in each language")
    parser.add_argument("--patients", type=int, default=5, help="patients per batch")
    parser.add_argument("--turn-timeout", type=float, default=60.0)
    return parser.parse_args(argv)


async def receipts_delivered(emulator: BotApiEmulator, user_ids: list[int]) -> None:
    """Until every patient of the batch has their receipt PDF (or the wait runs out)."""
    deadline = asyncio.get_running_loop().time() + RECEIPT_WAIT_SECONDS
    while asyncio.get_running_loop().time() < deadline:
        documents = [
            [m for m in await emulator.bot_messages(uid) if m.get("kind") == "document"]
            for uid in user_ids
        ]
        if all(documents):
            return
        await asyncio.sleep(0.2)
    raise RuntimeError("a batch's receipts did not arrive")


def children_by_kind(worker_pid: int) -> dict[str, float]:
    """CPU seconds so far of the worker's children: the action server, and the rest (the
    receipt process, which draws a consent receipt once per conversation)."""
    kinds = {"action_server": 0.0, "receipts": 0.0}
    for pid in children(worker_pid):
        try:
            command = (PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        kind = "action_server" if b"rasa_sdk" in command else "receipts"
        kinds[kind] += cpu_seconds(pid) or 0.0
    return kinds


async def batch(
    emulator: BotApiEmulator, rig: RigCpu, script: Conversation, first_user: int, args: Any
) -> dict[str, float]:
    """One batch of conversations in one language: its turns and the CPU they cost."""
    user_ids = list(range(first_user, first_user + args.patients))
    before = rig.snapshot()
    kinds_before = children_by_kind(rig.worker_pids[0])
    outcomes = await asyncio.gather(
        *(EmulatedPatient(emulator, uid, script, args.turn_timeout).converse() for uid in user_ids)
    )
    await receipts_delivered(emulator, user_ids)
    spent = rig.snapshot().spent(before)
    kinds = {k: v - kinds_before[k] for k, v in children_by_kind(rig.worker_pids[0]).items()}
    if not all(outcome.completed for outcome in outcomes):
        errors = [outcome.error for outcome in outcomes if not outcome.completed]
        raise RuntimeError(f"a conversation did not complete: {errors}")
    turns = sum(len(outcome.latencies) for outcome in outcomes)
    return {
        "turns": turns,
        "workers_s": spent["workers"],
        "children_s": spent["worker_children"],
        "action_server_s": round(kinds["action_server"], 3),
        "receipts_s": round(kinds["receipts"], 3),
    }


def summary(batches: list[dict[str, float]], patients: int) -> dict[str, float]:
    turns = sum(b["turns"] for b in batches)
    workers = sum(b["workers_s"] for b in batches)
    children = sum(b["children_s"] for b in batches)
    per_batch = [1000 * (b["workers_s"] + b["children_s"]) / b["turns"] for b in batches]
    action_server = sum(b["action_server_s"] for b in batches)
    receipts = sum(b["receipts_s"] for b in batches)
    return {
        # A turn: the worker and its action server; receipts are drawn once per conversation.
        "turn_ms_without_receipts": round(1000 * (workers + action_server) / turns, 2),
        "receipt_ms_per_conversation": round(1000 * receipts / (len(batches) * patients), 1),
        "turns": turns,
        "ms_per_turn": round(1000 * (workers + children) / turns, 2),
        "ms_per_turn_median_batch": round(statistics.median(per_batch), 2),
        "worker_ms_per_turn": round(1000 * workers / turns, 2),
        "children_ms_per_turn": round(1000 * children / turns, 2),
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    scripts = {language: Conversation.load(path) for language, path in SCRIPTS.items()}
    batches: dict[str, list[dict[str, float]]] = {language: [] for language in scripts}
    with tempfile.TemporaryDirectory(prefix="bench-languages-") as tmp:
        async with running_service(args, Path(tmp)) as service:
            rig = RigCpu([w.pid for w in service.workers], None, service.database_url)
            user = FIRST_USER_ID
            # Uncounted: each language's first batch loads what it needs once (its content,
            # the receipt process's fonts), which no later patient pays again.
            for language in scripts:
                await batch(service.emulator, rig, scripts[language], user, args)
                user += args.patients
            for round_number in range(args.rounds):
                # en, hi then hi, en: neither language always runs on a warmer process.
                order = ["en", "hi"] if round_number % 2 == 0 else ["hi", "en"]
                for language in order:
                    figures = await batch(service.emulator, rig, scripts[language], user, args)
                    batches[language].append(figures)
                    user += args.patients
                    service.check_alive()
                    print(f"round {round_number + 1} {language}: {figures}", flush=True)
    results = {language: summary(done, args.patients) for language, done in batches.items()}
    results["ratio_hi_en_turns_without_receipts"] = round(
        results["hi"]["turn_ms_without_receipts"] / results["en"]["turn_ms_without_receipts"], 3
    )
    results["ratio_hi_en"] = round(results["hi"]["ms_per_turn"] / results["en"]["ms_per_turn"], 3)
    results["ratio_hi_en_median_batch"] = round(
        results["hi"]["ms_per_turn_median_batch"] / results["en"]["ms_per_turn_median_batch"], 3
    )
    return {"batches": batches, **results}


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    args.stem = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-languages"
    args.staff_groups = 1
    args.profile = None
    results = {
        "command": "python -m bench.languages " + " ".join(sys.argv[1:]),
        "machine": machine_info(),
        **asyncio.run(run(args)),
    }
    for language in ("en", "hi"):
        print(f"{language}: {results[language]}")
    print(
        f"hi / en: {results['ratio_hi_en']} (median batch {results['ratio_hi_en_median_batch']};"
        f" turns without receipts {results['ratio_hi_en_turns_without_receipts']})"
    )
    print(f"results: {write_json(results, args.results, args.stem)}")


if __name__ == "__main__":
    main()
