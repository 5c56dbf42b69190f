"""`python -m bot`: run the bot, or the sandbox when no TELEGRAM_BOT_TOKEN is set."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

from bot.check import StartRefused
from bot.config import Settings, settings_or_exit
from bot.logs import configure, divert_to_file, failure_fields

log = logging.getLogger(__name__)


async def serve(settings: Settings, token: str) -> None:
    """Run until SIGINT or SIGTERM, then stop everything cleanly."""
    from bot.runtime import Runtime

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    runtime = Runtime(settings, token)
    try:
        await runtime.start()
        await stop.wait()
    finally:
        await runtime.stop()


def main() -> None:
    """Validate the settings, make sure the model is trained, then run."""
    settings = settings_or_exit()
    # As `make run` sets it: TensorFlow's C++ logs only for fatal errors.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    log_file = None
    if settings.sandbox:
        # The terminal is the chat: logs, warnings and every library's output go to a file.
        log_file = settings.log_dir / "sandbox.log"
        try:
            divert_to_file(log_file)
        except OSError as error:
            print(f"error: LOG_DIR: cannot write {log_file}: {error.strerror}", file=sys.stderr)
            sys.exit(2)
        print(f"Logs: {_shown(log_file)}", flush=True)
    configure(settings.log_level)
    try:
        _run(settings)
    except StartRefused as refused:
        if log_file is not None:  # its lines went to stderr, the log file: show them here too
            for line in refused.lines:
                print(f"error: {line}", flush=True)
        raise
    except KeyboardInterrupt:
        # Ctrl-C before the signal handlers were set (while starting or training): nothing
        # was taken from Telegram that is not stored, so stop without a traceback.
        print("stopped", file=sys.stdout if log_file else sys.stderr, flush=True)
        sys.exit(130)
    except Exception as error:
        if log_file is None:
            raise
        log.critical("the sandbox stopped on an error", extra=failure_fields(error))
        print(f"error: the sandbox stopped on an error; see {_shown(log_file)}", flush=True)
        sys.exit(1)


def _run(settings: Settings) -> None:
    from bot.model import ensure_model

    if settings.sandbox:
        print(
            "Starting the bot (loading the model takes a few seconds, training it minutes)...",
            flush=True,
        )
    try:
        ensure_model()
    except subprocess.CalledProcessError as error:
        # In the sandbox stdout is the terminal (stderr goes to the log file).
        print(
            f"error: training the Rasa model failed (exit code {error.returncode})",
            file=sys.stdout if settings.sandbox else sys.stderr,
        )
        sys.exit(1)
    if settings.sandbox:
        from bot.sandbox import run_sandbox

        asyncio.run(run_sandbox(settings))
    else:
        assert settings.bot_token is not None
        asyncio.run(serve(settings, settings.bot_token))


def _shown(path: Path) -> str:
    """A path as a person at the repository root would type it."""
    from bot.paths import ROOT

    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


if __name__ == "__main__":
    main()
