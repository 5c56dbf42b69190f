"""CPU seconds of every process that serves a turn, counted apart from the rest of the machine.

`/proc/stat` gives the whole machine's busy time, which on a shared machine includes other
people's work. Here each process of the run is counted by itself: the workers and their
children (action servers, receipt drawing), this process (emulator and patients), nginx,
the PostgreSQL backends serving the run's database and Redis.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from bench.procfs import PROC, cpu_seconds, tree_cpu_seconds


def postgres_backends(database_url: str) -> list[int]:
    """Pids of the PostgreSQL backends connected to the run's database (none on SQLite)."""
    if not database_url.startswith("postgresql"):
        return []
    import psycopg2

    name = database_url.rsplit("/", 1)[1]
    admin = database_url.rsplit("/", 1)[0] + "/postgres"
    connection = psycopg2.connect(admin, connect_timeout=5)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (name,))
            return [int(row[0]) for row in cursor.fetchall()]
    finally:
        connection.close()


def pids_named(command: str, proc: Path = PROC) -> list[int]:
    """Processes whose /proc/<pid>/comm is `command` (e.g. redis-server)."""
    found: list[int] = []
    for entry in proc.iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == command:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@dataclass
class RigCpu:
    """Per-part CPU seconds so far; `spent` is the difference between two snapshots."""

    worker_pids: list[int]
    proxy_pid: int | None
    database_url: str
    parts: dict[str, float] = field(default_factory=dict)
    backends: dict[int, float] = field(default_factory=dict)

    def snapshot(self) -> RigCpu:
        workers = [tree_cpu_seconds(pid) for pid in self.worker_pids]
        parts = {
            "workers": sum(w["self"] for w in workers),
            "worker_children": sum(w["children"] for w in workers),
            "bench_and_emulator": cpu_seconds(os.getpid()) or 0.0,
            "redis": sum(cpu_seconds(pid) or 0.0 for pid in pids_named("redis-server")),
        }
        if self.proxy_pid is not None:
            nginx = tree_cpu_seconds(self.proxy_pid)
            parts["nginx"] = nginx["self"] + nginx["children"]
        backends = {
            pid: cpu_seconds(pid) or 0.0 for pid in postgres_backends(self.database_url)
        }
        return RigCpu(self.worker_pids, self.proxy_pid, self.database_url, parts, backends)

    def spent(self, before: RigCpu) -> dict[str, float]:
        """CPU seconds from `before` to this snapshot, by part, and their total.

        A backend that connected in between counts whole; one that left is not counted
        (the engines keep their connections for the whole run).
        """
        spent = {key: value - before.parts.get(key, 0.0) for key, value in self.parts.items()}
        spent["postgres"] = sum(
            value - before.backends.get(pid, 0.0) for pid, value in self.backends.items()
        )
        spent["total"] = sum(spent.values())
        return {key: round(value, 2) for key, value in spent.items()}
