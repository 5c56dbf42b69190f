"""What a running service costs while nobody writes: CPU seconds per second, by process.

`python -m bench.idle --workers 1|2 --webhook --database postgresql [--seconds 60]` starts the
service as the other benches do (`bench/service.py`: emulator, workers behind nginx, one
warm-up conversation), waits `--settle` seconds, then counts each process's CPU over
`--seconds` with no traffic (`bench/cpu.py`). Every background loop of a worker (staff
sender, failover sweep, outbox redelivery, reminders) and of its children shows here; at a
given load, a second worker's idle cost is what it adds to each turn's CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench.cpu import RigCpu
from bench.machine import machine_info
from bench.procfs import machine_cpu_seconds
from bench.report import write_json
from bench.service import add_service_arguments, running_service


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.idle", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--seconds", type=float, default=60.0, help="idle s counted")
    parser.add_argument("--settle", type=float, default=20.0, help="s after start, not counted")
    add_service_arguments(parser, rate_limit=True)
    args = parser.parse_args(argv)
    args.profile = None
    return args


def per_second(spent: dict[str, float], seconds: float) -> dict[str, float]:
    """CPU seconds by part over `seconds` as milliseconds of CPU per second (0.1 % units)."""
    return {part: round(1000 * value / seconds, 1) for part, value in spent.items()}


async def run(args: argparse.Namespace, command: str) -> dict[str, Any]:
    results: dict[str, Any] = {
        "mode": "idle",
        "command": command,
        "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "workers": args.workers,
        "seconds": args.seconds,
    }
    with tempfile.TemporaryDirectory(prefix="bench-idle-") as workdir:
        async with running_service(args, Path(workdir)) as service:
            await asyncio.sleep(args.settle)
            proxy_pid = None if service.proxy is None else service.proxy.pid
            rig = RigCpu([w.pid for w in service.workers], proxy_pid, service.database_url)
            before, machine_before = await asyncio.to_thread(rig.snapshot), machine_cpu_seconds()
            calls_before = service.emulator.world.bot().call_counts.copy()
            await asyncio.sleep(args.seconds)
            after, machine_after = await asyncio.to_thread(rig.snapshot), machine_cpu_seconds()
            service.check_alive()
            results["database"] = service.figures["database"]
            results["cpu_ms_per_s"] = per_second(after.spent(before), args.seconds)
            results["machine_busy_ms_per_s"] = round(
                1000 * (machine_after["busy"] - machine_before["busy"]) / args.seconds, 1
            )
            calls = service.emulator.world.bot().call_counts - calls_before
            results["bot_api_calls_per_s"] = {
                method: round(n / args.seconds, 3) for method, n in calls.most_common()
            }
    return results


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    args.results.mkdir(parents=True, exist_ok=True)
    args.stem = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-idle"
    command = "python -m bench.idle " + shlex.join(sys.argv[1:] if argv is None else argv)
    results = asyncio.run(run(args, command))
    print(f"workers {args.workers}, idle {args.seconds:.0f} s, CPU ms per s by part:")
    for part, value in results["cpu_ms_per_s"].items():
        print(f"  {part:<20} {value:7.1f}")
    print(f"  {'machine':<20} {results['machine_busy_ms_per_s']:7.1f}")
    print(f"Bot API calls per s: {results['bot_api_calls_per_s']}")
    print(f"results: {write_json(results, args.results, args.stem)}")


if __name__ == "__main__":
    main()
