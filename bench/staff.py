"""`python -m bench.staff`: the staff side under Telegram's limits (issues 13 and 24).

    python -m bench.staff [--scenario a|b|c|both|all] [--burst 20] [--cases 100] [--groups 3]

The real bot (`python -m bot`, TELEGRAM_RATE_LIMIT=on) against the emulator with Telegram's
limits (30/s overall, 20/min per group, 1/s per private chat with a burst of 5), one fresh
service per scenario (bench/service.py). A: a burst of cases into one staff group, a take
over of its first case, relays both ways, a patient finishing consent. B: cases spread over
minutes and several groups. C: cases spread over minutes into one group, staff taking some
over from the queue summary. `both` is A and B, `all` A, B and C. Prints a table, writes
bench/results/<UTC time>-staff.json.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import sys
import tempfile
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench.machine import machine_info
from bench.report import write_json
from bench.script import Conversation
from bench.service import FIRST_USER_ID, running_service
from bench.staff_report import format_table, verdicts
from bench.staff_scenarios import Rig, scenario_a
from bench.staff_spread import scenario_b, scenario_c
from bench.staff_watch import EventLog

RESULTS = Path(__file__).with_name("results")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.staff", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--scenario", choices=("a", "b", "c", "both", "all"), default="both")
    parser.add_argument("--burst", type=int, default=20, help="A: cases in the burst")
    parser.add_argument("--burst-seconds", type=float, default=28.0, help="A: the burst's span")
    parser.add_argument("--relay-messages", type=int, default=20, help="A: the patient's messages")
    parser.add_argument("--staff-messages", type=int, default=10, help="A: staff's messages")
    parser.add_argument("--relay-seconds", type=float, default=90.0, help="A: over this long")
    parser.add_argument("--groups-a", type=int, default=1, help="A: staff groups")
    parser.add_argument("--cases", type=int, default=100, help="B: cases")
    parser.add_argument("--spread-seconds", type=float, default=300.0, help="B: over this long")
    parser.add_argument("--groups", type=int, default=3, help="B: staff groups")
    parser.add_argument("--cases-c", type=int, default=100, help="C: cases, into one group")
    parser.add_argument("--spread-seconds-c", type=float, default=300.0, help="C: over this long")
    parser.add_argument(
        "--take-every", type=int, default=5, help="C: staff take over every n-th case"
    )
    parser.add_argument("--drain-timeout", type=float, default=600.0)
    parser.add_argument("--cold-start-timeout", type=float, default=300.0)
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument(
        "--database",
        choices=("auto", "sqlite", "postgresql"),
        default="auto",
        help="the bot's database, as bench.run's --database",
    )
    args = parser.parse_args(argv)
    sizes = (args.burst, args.cases, args.groups, args.groups_a, args.relay_messages)
    if min(*sizes, args.cases_c, args.take_every) < 1:
        parser.error("sizes must be at least 1")
    # What bench/service.py reads: one polling worker, the limiter on, no profile.
    args.rate_limit, args.workers, args.webhook, args.profile = True, 1, False, None
    args.redis_url = ""
    return args


async def limits_seen(service: Any) -> dict[str, Any]:
    """The emulator's refusals by kind, every 429 answered, and the bot's own log of them."""
    emulator = service.emulator
    calls = await emulator.api_calls()
    refused = [c for c in calls if c["status"] == 429]
    log = service.workers[0].log_path.read_text(errors="replace")
    return {
        "emulator_refused": (await emulator.flood_limits())["refused"],
        "responses_429": len(refused),
        "responses_429_by_limit_and_method": dict(
            Counter(f"{c.get('flood_limit')}:{c['method']}" for c in refused)
        ),
        "api_calls": len(calls),
        "bot_log_flood_waits": log.count("flood wait"),
        "bot_log_staff_sends_failed": log.count("staff group send rejected")
        + log.count("staff group send given up"),
        "bot_log_slow_announcements": log.count("waited long for the group's budget"),
        "bot_log_errors": log.count('"level": "ERROR"'),
    }


async def run_scenario(args: argparse.Namespace, name: str, workdir: Path) -> dict[str, Any]:
    args.staff_groups = {"a": args.groups_a, "b": args.groups, "c": 1}[name]
    args.stem = f"{args.run_stem}-{name}"
    size: dict[str, Any]
    if name == "a":
        size = {
            k: getattr(args, k)
            for k in (
                "burst",
                "burst_seconds",
                "relay_messages",
                "staff_messages",
                "relay_seconds",
                "drain_timeout",
            )
        }
    elif name == "b":
        size = {k: getattr(args, k) for k in ("cases", "spread_seconds", "drain_timeout")}
    else:
        size = {
            "cases": args.cases_c,
            "spread_seconds": args.spread_seconds_c,
            "take_every": args.take_every,
            "drain_timeout": args.drain_timeout,
        }
    size["groups"] = args.staff_groups
    load_before = os.getloadavg()
    async with running_service(args, workdir / name) as service:
        log = EventLog(service.emulator)
        log.start()
        try:
            rig = Rig(service.emulator, log, service.staff_chat_ids, Conversation.load())
            scenario = {"a": scenario_a, "b": scenario_b, "c": scenario_c}[name]
            figures = await scenario(rig, size, FIRST_USER_ID + 1000)
            service.check_alive()
        finally:
            await log.stop()
        figures["limits"] = await limits_seen(service)
        figures["cold_start_s"] = service.figures.get("cold_start_s")
        figures["database"] = service.figures.get("database")
        figures["bot_log"] = service.workers[0].log_path.name
    figures["load_average_before"] = [round(x, 2) for x in load_before]
    figures["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    return figures


async def run(args: argparse.Namespace, command: str) -> dict[str, Any]:
    from bot.model import ensure_model

    await asyncio.to_thread(ensure_model)
    results: dict[str, Any] = {
        "command": command,
        "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "database": args.database,
    }
    names = {"both": ("a", "b"), "all": ("a", "b", "c")}.get(args.scenario, (args.scenario,))
    with tempfile.TemporaryDirectory(prefix="bench-staff-") as tmp:
        for name in names:
            (Path(tmp) / name).mkdir()
            results[f"scenario_{name}"] = await run_scenario(args, name, Path(tmp))
    results["verdicts"] = [v.as_dict() for v in verdicts(results)]
    return results


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    args.results.mkdir(parents=True, exist_ok=True)
    args.run_stem = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-staff"
    command = "python -m bench.staff " + shlex.join(sys.argv[1:] if argv is None else argv)
    results = asyncio.run(run(args, command))
    print()
    print(format_table(results))
    print(f"results: {write_json(results, args.results, args.run_stem)}")


if __name__ == "__main__":
    main()
