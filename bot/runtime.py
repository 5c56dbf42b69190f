"""Start everything the bot needs, in order, and stop it in reverse: what `make run` runs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

from telegram import Update
from telegram.error import NetworkError, TimedOut
from telegram.ext import Application

from bot.actionserver import ActionServer
from bot.app import build_application
from bot.check import STARTUP_RETRY_DELAYS, startup_checks, telegram_bot
from bot.config import ConsoleSettings, Settings
from bot.dialogue import Dialogue
from bot.failover import FailoverSweep, worker_id
from bot.inbox import DurableUpdateQueue
from bot.preflight import migrated_database, own_action_server_ready, server_preflight
from bot.startup import StartClock
from bot.webhook import WebhookServer
from storage.claims import InboxClaims
from storage.durable import DurableStore

if TYPE_CHECKING:
    from rasa.core.lock_store import LockStore

    from console.server import ConsoleServer
    from storage.db import Database
    from storage.repository import Repository

log = logging.getLogger(__name__)
INITIALIZE_RETRY_DELAYS = (1.0, 2.0, 5.0, 10.0, 0.0)


def make_lock_store(redis_url: str | None) -> LockStore | None:
    """The turn locks' Redis store, safe across workers sharing chats; None for one worker."""
    if not redis_url:
        return None
    # Rasa's RedisLockStore loses and duplicates tickets across processes (Rasa issue 9213).
    from bot.locks import AtomicRedisLockStore

    return AtomicRedisLockStore(**redis_lock_store_arguments(redis_url))


def redis_lock_store_arguments(redis_url: str) -> dict[str, Any]:
    """Rasa's RedisLockStore keyword arguments for a redis:// or rediss:// URL."""
    parsed = urlparse(redis_url)
    return {
        "host": parsed.hostname or "127.0.0.1",
        "port": parsed.port or 6379,
        "db": int(parsed.path.lstrip("/") or 0),
        "username": unquote(parsed.username) if parsed.username else None,
        "password": unquote(parsed.password) if parsed.password else None,
        "use_ssl": parsed.scheme == "rediss",
    }


class Runtime:
    """The database, the action server, the dialogue model and the Telegram application."""

    def __init__(
        self,
        settings: Settings,
        token: str,
        model_path: Path | None = None,
        retry_delays: Sequence[float] = STARTUP_RETRY_DELAYS,
    ) -> None:
        self.settings = settings
        self.token = token
        self.model_path = model_path
        # The start-up checks' backoff while Telegram or a server is not reachable yet.
        self.retry_delays = retry_delays
        self.database: Database | None = None
        self.repository: Repository | None = None
        self.action_server: ActionServer | None = None
        self.dialogue: Dialogue | None = None
        self.app: Application | None = None
        self.webhook: WebhookServer | None = None
        self.console: ConsoleServer | None = None
        # The gateway's turn locks, shared by the workers (None: one worker, asyncio locks).
        self.lock_store: LockStore | None = None
        self.worker = ""
        self.failover: FailoverSweep | None = None

    async def start(self) -> None:
        from bot.model import model_path
        from storage import Database, Repository, migrate
        from storage.migrate import prepare_database

        settings = self.settings
        clock = StartClock()
        # A staff group without Topics, a bot without rights, a foreign webhook: stop now
        # (exit 2) rather than when the first case arrives (bot/check.py).
        await self._check_telegram()
        clock.mark("telegram_checks")
        # The model, Redis, a remote Rasa or action server: the same, before anything starts.
        await server_preflight(settings, self.model_path or model_path(), self.retry_delays)
        clock.mark("server_checks")
        if settings.rasa_url is None and settings.action_server_url is None:
            # It starts in its own process (its own CPU) while we migrate and load the model.
            self.action_server = ActionServer()
            self.action_server.spawn()
        # With Rasa in this process its tracker table is created too, under the same lock.
        prepare = prepare_database if settings.rasa_url is None else migrate
        # Retried while the database server is not reachable; at head afterwards, or exit 2.
        await migrated_database(settings.database_url, prepare, self.retry_delays)
        clock.mark("migrations")
        self.database = Database(settings.database_url)
        self.repository = Repository(self.database, settings.pseudonym_secret)
        self.worker = worker_id()
        store = DurableStore(self.database, owner=self.worker)
        self.lock_store = make_lock_store(settings.redis_url)
        self.dialogue = await self._start_dialogue(clock)
        self.app = build_application(
            settings, self.token, self.dialogue, self.repository, store, self.lock_store
        )
        await self._initialize(self.app)
        clock.mark("telegram_initialize")
        # What a crash or a kill left stored but unhandled goes first, in its order.
        queue = self.app.update_queue
        assert isinstance(queue, DurableUpdateQueue)
        # Later, a killed worker's stored updates are taken over once their leases run out.
        claims = InboxClaims(self.database, self.worker)
        self.failover = FailoverSweep(claims, queue, self.app.bot)
        await claims.adopt_unprocessed()
        await queue.replay(self.app.bot)
        # Raw updates hold names and texts: kept only as long as INBOX_RETENTION_DAYS says.
        queue.start_pruning(timedelta(days=settings.inbox_retention_days))
        self.failover.start()
        await self.app.start()
        if settings.mode == "webhook" and settings.webhook is not None:
            self.webhook = WebhookServer(self.app, settings.webhook)
            await self.webhook.start()
        else:
            assert self.app.updater is not None
            await self.app.updater.start_polling(allowed_updates=Update.ALL_TYPES, timeout=10)
        clock.mark("updates_started")
        desk = self.app.bot_data.get("staff_desk")
        if desk is not None:
            desk.start_reminders()
        self.app.bot_data["gateway"].outbox.start_redelivery()
        if settings.console is not None:
            await self._start_console(settings.console)
        clock.mark("console")
        clock.done()
        log.info("bot started", extra={"mode": settings.mode})

    async def _check_telegram(self) -> None:
        async with telegram_bot(self.settings, self.token) as bot:
            await startup_checks(bot, self.settings, self.retry_delays)

    async def _start_console(self, console: ConsoleSettings) -> None:
        """The staff console beside the bot; patients are served even if it cannot start."""
        from console.wiring import start_console

        try:
            self.console = await start_console(self, console)
        except OSError as error:
            log.error(
                "console not started: its address is taken or not available",
                extra={"error_type": type(error).__name__, "port": console.port},
            )
            return
        print(f"Console: {self.console.url}", flush=True)

    @staticmethod
    async def _initialize(app: Application) -> None:
        """getMe and friends; Telegram (or the machine) may be slow for a moment at start."""
        for attempt, delay in enumerate(INITIALIZE_RETRY_DELAYS):
            try:
                await app.initialize()
                if app.post_init is not None:  # as run_polling would: the command menus
                    await app.post_init(app)
                return
            except (TimedOut, NetworkError) as error:
                if attempt == len(INITIALIZE_RETRY_DELAYS) - 1:
                    raise
                log.warning(
                    "Telegram not reachable yet", extra={"error_type": type(error).__name__}
                )
                await asyncio.sleep(delay)

    async def _start_dialogue(self, clock: StartClock) -> Dialogue:
        settings = self.settings
        if settings.rasa_url:
            from bot.dialogue.remote import RemoteDialogue

            return RemoteDialogue(settings.rasa_url)
        from bot.dialogue.inprocess import InProcessDialogue
        from bot.model import model_path
        from storage.tracker import make_tracker_store

        action_url = settings.action_server_url
        if self.action_server is not None:
            action_url = self.action_server.webhook_url
        tracker_store = await asyncio.to_thread(make_tracker_store, settings.database_url, None)
        clock.mark("tracker_store")
        # Every Rasa call runs inside its chat's turn lock (bot/ordering.py), which already
        # keeps the conversation on one worker at a time: Rasa's own lock stays in memory,
        # sparing each turn a second shared lock's four Redis round trips.
        dialogue = await InProcessDialogue.load(
            self.model_path or model_path(), action_url, tracker_store=tracker_store
        )
        clock.mark("model_load")
        if self.action_server is not None:
            await own_action_server_ready(self.action_server)
            clock.mark("action_server_ready")
        return dialogue

    async def stop(self) -> None:
        """Stop taking updates first, then finish what is in flight, then close the rest."""
        if self.webhook is not None:
            await self.webhook.stop()
        if self.console is not None:
            await self.console.stop()
        if self.app is not None:
            desk = self.app.bot_data.get("staff_desk")
            if desk is not None:
                await desk.stop_reminders()
            gateway = self.app.bot_data["gateway"]
            await gateway.outbox.stop_redelivery()
            if self.failover is not None:
                await self.failover.stop()
            if isinstance(self.app.update_queue, DurableUpdateQueue):
                await self.app.update_queue.stop_pruning()
            if self.app.updater is not None and self.app.updater.running:
                await self.app.updater.stop()
            if self.app.running:
                await self.app.stop()
            await self.app.shutdown()
            gateway.receipts.close()
        if self.dialogue is not None:
            await self.dialogue.close()
        if self.action_server is not None:
            await self.action_server.stop()
        if self.database is not None:
            await self.database.dispose()
        log.info("bot stopped")
