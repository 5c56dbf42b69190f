"""Memory of a process tree from /proc (psutil is not a dependency)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

PROC = Path("/proc")


def status_kib(status_text: str, field: str) -> int | None:
    """A `Field:   123 kB` line of /proc/<pid>/status, in KiB; None when absent."""
    prefix = f"{field}:"
    for line in status_text.splitlines():
        if line.startswith(prefix):
            parts = line[len(prefix) :].split()
            if not parts:
                return None
            return int(parts[0])
    return None


def read_status(pid: int, proc: Path = PROC) -> str | None:
    try:
        return (proc / str(pid) / "status").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None


def parent_pid(stat_text: str) -> int:
    """The ppid field of /proc/<pid>/stat (the command may hold spaces and parentheses)."""
    after_command = stat_text.rsplit(")", 1)[1].split()
    return int(after_command[1])


def children(pid: int, proc: Path = PROC) -> list[int]:
    """Every descendant of pid, found by walking /proc/*/stat."""
    parents: dict[int, int] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parents[int(entry.name)] = parent_pid((entry / "stat").read_text())
        except (FileNotFoundError, ProcessLookupError, PermissionError, IndexError, ValueError):
            continue
    found: list[int] = []
    frontier = [pid]
    while frontier:
        current = frontier.pop()
        kids = [child for child, parent in parents.items() if parent == current]
        found.extend(kids)
        frontier.extend(kids)
    return sorted(found)


@dataclass
class MemoryWatch:
    """Peak memory of a process and, separately, of its descendants (e.g. the action server).

    VmHWM is the kernel's own peak resident set, so no sample can miss a spike of the
    process itself; the sum over the tree is sampled, so call `sample()` periodically.

    Finding the descendants walks all of /proc (about 4 ms of CPU here, in the process that
    also runs the emulator, and once per worker): the tree is looked up again only every
    `rescan_every` seconds. A child found late still reports its whole peak (its VmHWM).
    """

    pid: int
    own_peak_kib: int = 0
    children_peak_kib: dict[int, int] | None = None
    tree_rss_peak_kib: int = 0
    rescan_every: float = 10.0
    _tree: list[int] = field(default_factory=list)
    _scanned_at: float | None = None

    def sample(self, proc: Path = PROC, now: float | None = None) -> None:
        if self.children_peak_kib is None:
            self.children_peak_kib = {}
        now = time.monotonic() if now is None else now
        if self._scanned_at is None or now - self._scanned_at >= self.rescan_every:
            self._tree = children(self.pid, proc)
            self._scanned_at = now
        tree_rss = 0
        for pid in [self.pid, *self._tree]:
            status = read_status(pid, proc)
            if status is None:
                continue
            peak = status_kib(status, "VmHWM") or 0
            tree_rss += status_kib(status, "VmRSS") or 0
            if pid == self.pid:
                self.own_peak_kib = max(self.own_peak_kib, peak)
            else:
                self.children_peak_kib[pid] = max(self.children_peak_kib.get(pid, 0), peak)
        self.tree_rss_peak_kib = max(self.tree_rss_peak_kib, tree_rss)

    def as_dict(self) -> dict[str, object]:
        kids = self.children_peak_kib or {}
        return {
            "bot_peak_rss_mib": round(self.own_peak_kib / 1024, 1),
            "children_peak_rss_mib": {str(pid): round(k / 1024, 1) for pid, k in kids.items()},
            # An upper bound: each process's own peak, even if they peaked at different times.
            "tree_peak_rss_mib": round((self.own_peak_kib + sum(kids.values())) / 1024, 1),
            "tree_rss_sampled_peak_mib": round(self.tree_rss_peak_kib / 1024, 1),
        }


def cpu_seconds_from_stat(stat_text: str, ticks_per_second: int) -> float:
    """utime + stime of /proc/<pid>/stat (fields 14 and 15), in seconds."""
    after_command = stat_text.rsplit(")", 1)[1].split()
    # after_command[0] is field 3 (state), so fields 14 and 15 are at 11 and 12.
    return (int(after_command[11]) + int(after_command[12])) / ticks_per_second


def cpu_seconds(pid: int, proc: Path = PROC) -> float | None:
    import os

    try:
        text = (proc / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return cpu_seconds_from_stat(text, os.sysconf("SC_CLK_TCK"))


def tree_cpu_seconds(pid: int, proc: Path = PROC) -> dict[str, float]:
    """CPU seconds so far of a process (`self`) and of all its descendants together."""
    own = cpu_seconds(pid, proc) or 0.0
    kids = sum(cpu_seconds(child, proc) or 0.0 for child in children(pid, proc))
    return {"self": own, "children": kids}


def machine_cpu_from_stat(stat_text: str, ticks_per_second: int) -> dict[str, float]:
    """Busy and idle CPU seconds of the whole machine so far, from /proc/stat's `cpu` line."""
    fields = [int(v) for v in stat_text.splitlines()[0].split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return {
        "busy": (user + nice + system + irq + softirq + steal) / ticks_per_second,
        "idle": (idle + iowait) / ticks_per_second,
    }


def machine_cpu_seconds(proc: Path = PROC) -> dict[str, float]:
    import os

    return machine_cpu_from_stat((proc / "stat").read_text(), os.sysconf("SC_CLK_TCK"))
