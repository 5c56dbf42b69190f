"""What the benchmark ran on, for the report."""

from __future__ import annotations

import os
import platform
from pathlib import Path

from bench.procfs import status_kib


def cpu_model(cpuinfo_text: str) -> str:
    for line in cpuinfo_text.splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def machine_info(proc: Path = Path("/proc")) -> dict[str, object]:
    cpuinfo = (proc / "cpuinfo").read_text()
    meminfo = (proc / "meminfo").read_text()
    total_kib = status_kib(meminfo, "MemTotal") or 0
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_model": cpu_model(cpuinfo),
        "memory_gib": round(total_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        # Other work on the machine competes for its CPUs: this is the run's noise floor.
        "loadavg_at_start": (proc / "loadavg").read_text().split()[:3],
    }
