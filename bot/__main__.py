"""`python -m bot`: run the bot, or the sandbox when no TELEGRAM_BOT_TOKEN is set."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys

from bot.config import Settings, settings_or_exit
from bot.logs import configure


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
    configure(settings.log_level)
    from bot.model import ensure_model

    try:
        ensure_model()
    except subprocess.CalledProcessError as error:
        print(
            f"error: training the Rasa model failed (exit code {error.returncode})", file=sys.stderr
        )
        sys.exit(1)
    try:
        if settings.sandbox:
            from bot.sandbox import run_sandbox

            asyncio.run(run_sandbox(settings))
        else:
            assert settings.bot_token is not None
            asyncio.run(serve(settings, settings.bot_token))
    except KeyboardInterrupt:
        # Ctrl-C before the signal handlers were set (while starting): nothing was taken
        # from Telegram yet that is not stored, so stop without a traceback.
        print("stopped", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()
