"""/stats' SQL (today and the last 7 days) timed over the console bench's seeded history.

    python -m bench.staff_stats [--database postgresql|sqlite] [--cases 10000] [--rounds 20]

Seeds a scratch database with bench.console.seed (10,000 cases over 90 days by default),
then runs staff.stats_queries.period_figures for each period `rounds` times after one
warm-up, and prints the median, p95 and maximum. The scratch database is dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

from bench.console import Size, seed
from bench.databases import drop_postgres, fresh_postgres
from staff.stats_queries import last_days, period_figures
from storage import Database, migrate

PERIODS = (("today", 1), ("7 days", 7))


async def measure(url: str, rounds: int) -> list[str]:
    """One line per period: the figures' size and the query time."""
    db = Database(url)
    today = datetime.now(timezone.utc).date()
    lines = []
    try:
        for label, days in PERIODS:
            times = []
            for attempt in range(rounds + 1):
                started = time.perf_counter()
                figures = await period_figures(db.engine, last_days(today, days))
                if attempt:  # the first warms the caches
                    times.append(time.perf_counter() - started)
            times.sort()
            p95 = times[max(0, round(0.95 * len(times)) - 1)]
            lines.append(
                f"{label}: {figures.cases} cases, {figures.first_reply.answered} answered, "
                f"{figures.ratings.total} ratings; median {statistics.median(times) * 1000:.1f} "
                f"ms, p95 {p95 * 1000:.1f} ms, max {times[-1] * 1000:.1f} ms"
            )
    finally:
        await db.dispose()
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--cases", type=int, default=Size.cases)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        if args.database == "postgresql":
            url = fresh_postgres(f"bench_staff_stats_{uuid.uuid4().hex[:8]}")
        else:
            url = f"sqlite:///{Path(scratch) / 'stats.db'}"
        try:
            migrate(url)
            seeded = seed(url, Size(cases=args.cases, big_case_messages=100))
            print(f"{args.database}: {seeded.rows}")
            for line in asyncio.run(measure(url, args.rounds)):
                print(line)
        finally:
            drop_postgres(url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
