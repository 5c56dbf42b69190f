"""`python -m emulator --port 8081`: run the Bot API emulator standalone."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

from emulator.limits import NO_LIMITS, TELEGRAM_LIMITS
from emulator.server import DEFAULT_BOT_NAME, DEFAULT_BOT_USERNAME, DEFAULT_TOKEN, BotApiEmulator


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", action="append",
                        help="a bot token to accept (repeatable); default: emulator.DEFAULT_TOKEN")
    parser.add_argument("--bot-username", default=DEFAULT_BOT_USERNAME)
    parser.add_argument("--bot-name", default=DEFAULT_BOT_NAME)
    parser.add_argument("--flood-limits", choices=("telegram", "off"), default="telegram",
                        help="Telegram's sending limits (429 past them), or none")
    parser.add_argument("--log-level", default="INFO")
    return parser.parse_args()


async def serve(args: argparse.Namespace) -> None:
    tokens = args.token or [DEFAULT_TOKEN]
    limits = TELEGRAM_LIMITS if args.flood_limits == "telegram" else NO_LIMITS
    emulator = BotApiEmulator(tokens[0], args.bot_username, args.bot_name, flood_limits=limits)
    for number, token in enumerate(tokens[1:], start=2):
        emulator.add_bot(token, f"{args.bot_username}{number}", args.bot_name)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await emulator.start(args.host, args.port)
    try:
        await stop.wait()
    finally:
        await emulator.stop()


def main() -> None:
    args = parse_args()
    logging.basicConfig(level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
