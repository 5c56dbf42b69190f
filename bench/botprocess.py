"""The real bot, `python -m bot`, as a separate process pointed at the emulator."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench.procfs import MemoryWatch
from bot.paths import ROOT


def bot_environment(
    token: str,
    api_base_url: str,
    staff_chat_id: int,
    database_url: str,
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    """The environment `python -m bot` reads (bot/config.py), on top of this process's."""
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": token,
        "TELEGRAM_API_BASE_URL": api_base_url,
        "STAFF_CHAT_ID": str(staff_chat_id),
        "DATABASE_URL": database_url,
        "PSEUDONYM_SECRET": "bench-pseudonym-secret",
        "TELEGRAM_RATE_LIMIT": "off",
        "QUEUE_RENOTIFY_SECONDS": "3600",
        # Every worker serves its console as production does, each on a port of its own.
        "CONSOLE_LISTEN": "127.0.0.1:0",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        "PYTHONUNBUFFERED": "1",
    }
    env.update(extra or {})
    return env


class BotProcess:
    """Spawns the bot, samples its memory while it runs, and stops it with SIGTERM."""

    def __init__(self, env: dict[str, str], log_path: Path, sample_every: float = 0.5) -> None:
        self.env = env
        self.log_path = log_path
        self.sample_every = sample_every
        self.spawned_at = 0.0
        self.memory: MemoryWatch | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._sampler: asyncio.Task[None] | None = None
        # Killed on purpose (a failover run): its exit is not a failure of the run.
        self.killed = False

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def start(self) -> None:
        log = self.log_path.open("wb")
        self.spawned_at = time.perf_counter()
        # Popen rather than asyncio's subprocess API: see bot/actionserver.py (uvloop policy).
        # Its own process group, so `kill` takes the action server and receipt child too.
        self._process = subprocess.Popen(
            [sys.executable, "-m", "bot"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        log.close()
        self.memory = MemoryWatch(self._process.pid)
        self._sampler = asyncio.get_running_loop().create_task(self._sample_forever())

    def exited(self) -> int | None:
        return None if self._process is None else self._process.poll()

    async def _sample_forever(self) -> None:
        assert self.memory is not None
        while self.exited() is None:
            await asyncio.to_thread(self.memory.sample)
            await asyncio.sleep(self.sample_every)

    async def stop(self) -> None:
        if self._process is None:
            return
        if self.memory is not None and self.exited() is None:
            await asyncio.to_thread(self.memory.sample)
        if self._sampler is not None:
            self._sampler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sampler
        if self._process.poll() is None:
            self._process.terminate()
            try:
                await asyncio.to_thread(self._process.wait, 30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                await asyncio.to_thread(self._process.wait)

    def kill(self) -> None:
        """SIGKILL the worker's whole process group, as a crash or the OOM killer would."""
        if self._process is None or self._process.poll() is not None:
            return
        self.killed = True
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._process.pid, signal.SIGKILL)
        self._process.wait(30)

    def start_phases(self) -> dict[str, float]:
        """Seconds of each start-up phase, from the `start phase` lines bot/runtime.py logs."""
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return {}
        return start_phases(text)

    def has_started(self) -> bool:
        """bot/runtime.py logs `bot started` once it takes updates."""
        try:
            return '"bot started"' in self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return False

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""


def start_phases(log_text: str) -> dict[str, float]:
    """`{"event": "start phase", "phase": …, "seconds": …}` JSON lines as phase -> seconds."""
    phases: dict[str, float] = {}
    for line in log_text.splitlines():
        if '"start phase"' not in line:
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if entry.get("event") == "start phase" and isinstance(entry.get("seconds"), (int, float)):
            phases[str(entry.get("phase"))] = float(entry["seconds"])
    return phases
