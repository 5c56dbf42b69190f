"""Start-up phases, timed: each logs its name and seconds at INFO, for the operator and bench/.

Phases that overlap (the action server starting in its own process while the model loads)
are timed each from its own start, so their seconds add up to more than the wall time;
`start_total` is the wall time from the process's start to taking updates.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable
from typing import TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


def process_age() -> float:
    """Seconds since this process started (imports included), from the kernel's start time."""
    try:
        with open("/proc/self/stat") as stat:
            started_ticks = int(stat.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as uptime:
            up = float(uptime.read().split()[0])
        import os

        return max(0.0, up - started_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return 0.0


class StartClock:
    """Times the phases of one start; `phase` wraps an awaitable, `mark` closes a step."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()
        # The interpreter, the imports of `python -m bot` and the model check, before Runtime.
        self._log("process_to_runtime", process_age())

    def _log(self, name: str, seconds: float) -> None:
        self.seconds[name] = round(seconds, 3)
        log.info("start phase", extra={"phase": name, "seconds": round(seconds, 3)})

    async def phase(self, name: str, work: Awaitable[T]) -> T:
        """Await `work`, logging how long it took from now (it may overlap other phases)."""
        started = time.perf_counter()
        result = await work
        self._log(name, time.perf_counter() - started)
        return result

    def mark(self, name: str) -> None:
        """A sequential step that ended now: the seconds since the previous mark."""
        now = time.perf_counter()
        self._log(name, now - self._last)
        self._last = now

    def done(self) -> None:
        """The whole start, from the process's birth (interpreter and imports included)."""
        self._log("start_total", process_age())
