"""Build the python-telegram-bot Application: one place that wires the gateway together."""

from __future__ import annotations

import logging
from functools import partial
from typing import TYPE_CHECKING

from telegram import Update
from telegram.ext import Application, ContextTypes

from bot.commands import menus_at_start
from bot.config import Settings
from bot.content import message
from bot.dialogue import Dialogue
from bot.gateway import Gateway
from bot.handlers import add_patient_handlers
from bot.inbox import DurableUpdateQueue
from bot.logs import failure_fields
from bot.ordering import PerChatUpdateProcessor
from bot.ratelimit import MeasuredRateLimiter
from bot.transport import AiohttpRequest
from bot.turns import TurnRunner
from console.command import send_console_link
from storage import Repository
from storage.durable import DurableStore

if TYPE_CHECKING:
    from rasa.core.lock_store import LockStore

log = logging.getLogger(__name__)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log a handler failure by type and frames only: the exception text may quote a patient."""
    error = context.error
    chat = (
        update.effective_chat.id if isinstance(update, Update) and update.effective_chat else None
    )
    if isinstance(update, Update):
        # Run the turn again rather than mark it done with no answer.
        context.application.bot_data["gateway"].outbox.keep_unprocessed()
    # No exc_info: the fields say where it failed, and nothing can print the message.
    log.error(
        "handler failed",
        extra={**failure_fields(error), "has_chat": chat is not None},
    )


def build_application(
    settings: Settings,
    token: str,
    dialogue: Dialogue,
    repository: Repository,
    store: DurableStore,
    shared_locks: LockStore | None = None,
) -> Application:
    """The Application: durable inbox and outbox, per-chat ordering, rate limits, handlers."""
    api = settings.api_base_url
    # SQLite has one writer lock: more turns in flight only lengthen the wait for it.
    sqlite = settings.database_url.startswith("sqlite")
    processor = PerChatUpdateProcessor(max_concurrent_updates=8 if sqlite else 64)
    processor.shared_locks = shared_locks
    builder = (
        Application.builder()
        .token(token)
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .update_queue(DurableUpdateQueue(store, partial(message, "dialogue_unavailable")))
        .concurrent_updates(processor)
        # Timeouts are generous: a busy machine (TensorFlow holds the GIL in bursts) must not
        # turn into lost calls.
        .request(AiohttpRequest(connection_pool_size=16))
        .get_updates_request(AiohttpRequest(connection_pool_size=1, read_timeout=30))
    )
    if settings.rate_limit:
        # PTB's AIORateLimiter, timed for /metrics.
        builder = builder.rate_limiter(MeasuredRateLimiter(max_retries=5))
    builder = builder.post_init(menus_at_start(settings.staff_chat_ids))
    app = builder.build()
    gateway = Gateway(app.bot, dialogue, repository, store, settings.pseudonym_secret)
    processor.turns = TurnRunner(store, gateway.outbox, app.process_update)
    if settings.staff_chat_id is not None:
        from staff.desk import StaffDeskService
        from staff.handlers import add_staff_handlers

        gateway.staff = StaffDeskService(app.bot, repository, settings, gateway.outbox)
        add_staff_handlers(app, gateway.staff)
    app.bot_data["gateway"] = gateway
    add_patient_handlers(app, send_console_link)
    app.add_error_handler(on_error)
    return app
