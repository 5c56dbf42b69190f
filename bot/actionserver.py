"""Run the Rasa SDK action server (our custom actions) as a child process."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import subprocess
import sys
from types import TracebackType

import aiohttp

from bot.paths import ROOT

log = logging.getLogger(__name__)


def _die_with_parent() -> None:
    """In the child, before exec: on Linux, get SIGTERM when the bot's process dies, even
    by SIGKILL, so no action server outlives it. Elsewhere, a no-op."""
    if sys.platform != "linux":
        return
    import ctypes
    import signal

    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    pr_set_pdeathsig = 1
    libc.prctl(pr_set_pdeathsig, signal.SIGTERM)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ActionServer:
    """Starts `python -m rasa_sdk --actions actions` and waits until it answers /health."""

    def __init__(self, port: int | None = None, startup_timeout: float = 60.0) -> None:
        self.port = port or free_port()
        self._startup_timeout = startup_timeout
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def webhook_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/webhook"

    @property
    def exit_code(self) -> int | None:
        """The child's exit code once it has exited; None while it runs or before spawn."""
        return None if self._process is None else self._process.poll()

    async def start(self) -> None:
        """Spawn the server and wait until it is healthy."""
        self.spawn()
        await self.wait_ready()

    def spawn(self) -> None:
        """Start the child process without waiting: it imports while the model loads."""
        # Popen, not asyncio's subprocess API: Rasa installs uvloop's loop policy on import,
        # whose child watcher does not work with the already-running asyncio loop.
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONUNBUFFERED": "1"}
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "rasa_sdk",
                "--actions",
                "actions",
                "--port",
                str(self.port),
                "--quiet",
            ],
            cwd=ROOT,
            env=env,
            # Inherited, like stderr: the terminal with a token, the sandbox's log file
            # without (bot.logs.divert_to_file); --quiet keeps it to warnings and errors.
            preexec_fn=_die_with_parent,
            # Out of the terminal's process group: Ctrl-C is for the bot, which stops this
            # server only after the turns in flight (which call it) are done.
            start_new_session=True,
        )

    async def wait_ready(self) -> None:
        """Until the spawned server answers /health (it fails if the child exits)."""
        await self._wait_healthy()
        log.info("action server ready on port %d", self.port)

    async def _wait_healthy(self) -> None:
        deadline = asyncio.get_running_loop().time() + self._startup_timeout
        url = f"http://127.0.0.1:{self.port}/health"
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
            while True:
                if self._process is not None and self._process.poll() is not None:
                    raise RuntimeError(f"action server exited with code {self._process.returncode}")
                try:
                    async with session.get(url) as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                if asyncio.get_running_loop().time() > deadline:
                    raise RuntimeError("action server did not become healthy in time")
                await asyncio.sleep(0.25)

    async def stop(self) -> None:
        if self._process is None or self._process.poll() is not None:
            return
        self._process.terminate()
        try:
            await asyncio.to_thread(self._process.wait, 10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            await asyncio.to_thread(self._process.wait)

    async def __aenter__(self) -> ActionServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
