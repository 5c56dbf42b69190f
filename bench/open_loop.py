"""`python -m bench.open_loop`: patients arrive at a set rate and think between messages.

    python -m bench.open_loop --database sqlite [--rates 0.5,1,2 | --start-rate 0.5]

Closed-loop `bench.run` keeps N patients busy back to back, which says how much the bot can
take but not how many people it can serve. Here patients arrive at a rate (Poisson, or a
fixed interval) and each waits a random 3-20 s before each message, as people read and type
(seeded, so a run can be repeated). For each arrival rate tried, the bot serves a bounded
window (a ramp, then a measured window); the report gives each rate's reply latency p95 over
the measured window and the patients in flight then, and the highest rate whose p95 stays
within the target (1 s), as concurrent patients per worker. Without `--rates` the rate is
doubled until the target is missed, then bisected (geometric mean) for the runs left.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shlex
import sys
import tempfile
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench.arrivals import ThinkingPatient, TurnRecord, next_rate, run_rate
from bench.cpu import RigCpu
from bench.machine import machine_info
from bench.outcome import ConversationOutcome
from bench.report import write_json
from bench.script import Conversation
from bench.service import add_service_arguments

FIRST_USER_ID = 730_000_001
# User ids of one rate's patients start this far apart, so runs never share a chat.
USER_IDS_PER_RATE = 100_000


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.open_loop", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--rates", default=None, help="arrival rates to try, per s: 0.5,1,2")
    parser.add_argument("--start-rate", type=float, default=0.5, help="the search's first rate")
    parser.add_argument("--max-runs", type=int, default=5, help="rates the search may try")
    parser.add_argument("--ramp", type=float, default=60.0, help="s of arrivals before measuring")
    parser.add_argument("--window", type=float, default=90.0, help="measured s per rate")
    parser.add_argument("--think-min", type=float, default=3.0)
    parser.add_argument("--think-max", type=float, default=20.0)
    parser.add_argument("--arrivals", choices=("poisson", "fixed"), default="poisson")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--p95-target", type=float, default=1.0, help="seconds")
    parser.add_argument("--turn-timeout", type=float, default=60.0, help="seconds before lost")
    add_service_arguments(parser, rate_limit=False)
    args = parser.parse_args(argv)
    args.profile = None
    if args.think_min < 0 or args.think_max < args.think_min:
        parser.error("--think-min must be at most --think-max, and not negative")
    return args


def format_rates(results: dict[str, Any]) -> str:
    """One line per rate tried, then the verdict."""
    lines = [
        f"{'rate/s':>7} {'arrived':>7} {'in flight':>10} {'per worker':>10} {'p50':>7} "
        f"{'p95':>7} {'msg/s':>6} {'lost':>5} {'busy':>5} {'CPU/turn':>9}  target"
    ]
    for run in results["runs"]:
        lines.append(
            f"{run['arrival_rate_per_s']:>7.3f} {run['arrivals']:>7} "
            f"{run['in_flight_mean']:>6.1f}/{run['in_flight_max']:<3} "
            f"{run['in_flight_mean_per_worker']:>10.1f} {_s(run['p50_s'])} {_s(run['p95_s'])} "
            f"{run['throughput_turns_per_s']:>6.1f} {run['lost_turns']:>5} "
            f"{_percent(run['machine_busy_percent'])} {_ms(run.get('machine_cpu_ms_per_turn'))}  "
            f"{'met' if run['meets_target'] else 'MISSED'}"
        )
    best = results.get("best")
    lines.append("")
    if best is None:
        lines.append(f"no rate tried kept p95 <= {results['p95_target_s']} s")
    else:
        lines.append(
            f"highest rate with p95 <= {results['p95_target_s']} s: "
            f"{best['arrival_rate_per_s']:.3f} patients/s, "
            f"{best['in_flight_mean_per_worker']:.1f} concurrent patients per worker "
            f"(max {best['in_flight_max']}), p95 {best['p95_s']} s"
        )
    lines.append(f"cold start {results.get('cold_start_s')} s; command: {results['command']}")
    return "\n".join(lines)


def _s(value: float | None) -> str:
    return f"{'-':>7}" if value is None else f"{value:>6.2f}s"


def _ms(value: float | None) -> str:
    return f"{'-':>9}" if value is None else f"{value:>6.1f} ms"


def _percent(value: float | None) -> str:
    return f"{'-':>5}" if value is None else f"{value:>4.0f}%"


def rates_to_try(args: argparse.Namespace) -> list[float] | None:
    if args.rates is None:
        return None
    return [float(rate) for rate in args.rates.split(",") if rate.strip()]


async def run(args: argparse.Namespace, command: str) -> dict[str, Any]:
    from bench.service import running_service
    from bot.model import ensure_model

    await asyncio.to_thread(ensure_model)
    conversation = Conversation.load()
    results: dict[str, Any] = {
        "command": command,
        "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "mode": "open-loop",
        "arrivals": args.arrivals,
        "think_s": [args.think_min, args.think_max],
        "ramp_s": args.ramp,
        "window_s": args.window,
        "seed": args.seed,
        "p95_target_s": args.p95_target,
        "workers": args.workers,
        "runs": [],
    }
    with tempfile.TemporaryDirectory(prefix="bench-open-") as tmp:
        async with running_service(args, Path(tmp)) as service:
            results["database"] = service.figures["database"]
            results["cold_start_s"] = service.figures["cold_start_s"]
            results["start_phases_s"] = service.figures.get("start_phases_s")

            async def converse(
                user_id: int,
                think_rng: random.Random,
                stop: asyncio.Event,
                record: Callable[[TurnRecord], None],
            ) -> ConversationOutcome:
                patient = ThinkingPatient(
                    service.emulator,
                    user_id,
                    conversation,
                    args.turn_timeout,
                    think=lambda: think_rng.uniform(args.think_min, args.think_max),
                    stop=stop,
                    record=record,
                )
                return await patient.converse()

            proxy_pid = None if service.proxy is None else service.proxy.pid
            rig = RigCpu([w.pid for w in service.workers], proxy_pid, service.database_url)
            planned = rates_to_try(args)
            rate: float | None = planned[0] if planned else args.start_rate
            tried: list[tuple[float, bool]] = []
            while rate is not None and len(tried) < (len(planned) if planned else args.max_runs):
                first_user = FIRST_USER_ID + USER_IDS_PER_RATE * len(tried)
                print(f"rate {rate:.3f}/s: {args.ramp:.0f} + {args.window:.0f} s", flush=True)
                outcome = await run_rate(
                    converse, rate, args.ramp, args.window, args.arrivals, args.seed,
                    first_user, args.turn_timeout + 5, rig=rig,
                    api_calls=service.emulator.world.bot().call_counts,
                )  # fmt: skip
                service.check_alive()
                figures = outcome.figures(args.p95_target, args.workers)
                results["runs"].append(figures)
                print(format_rates(results).split("\n")[len(tried) + 1], flush=True)
                tried.append((rate, figures["meets_target"]))
                if planned:
                    rate = planned[len(tried)] if len(tried) < len(planned) else None
                else:
                    rate = next_rate(tried)
    good = [run for run in results["runs"] if run["meets_target"]]
    results["best"] = max(good, key=lambda r: r["arrival_rate_per_s"]) if good else None
    return results


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    args.results.mkdir(parents=True, exist_ok=True)
    args.stem = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-open"
    command = "python -m bench.open_loop " + shlex.join(sys.argv[1:] if argv is None else argv)
    results = asyncio.run(run(args, command))
    print()
    print(format_rates(results))
    print(f"results: {write_json(results, args.results, args.stem)}")


if __name__ == "__main__":
    main()
