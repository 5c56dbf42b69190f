"""Build the python-telegram-bot Application: one place that wires the gateway together."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import AIORateLimiter, Application, ContextTypes

from bot.config import Settings
from bot.dialogue import Dialogue
from bot.gateway import Gateway
from bot.handlers import add_patient_handlers
from bot.ordering import PerChatUpdateProcessor

log = logging.getLogger(__name__)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log a handler failure by type only: the exception text may quote a patient."""
    error = context.error
    chat = (
        update.effective_chat.id if isinstance(update, Update) and update.effective_chat else None
    )
    log.error(
        "handler failed",
        extra={"error_type": type(error).__name__, "has_chat": chat is not None},
        exc_info=(type(error), error, None) if error else None,
    )


def build_application(
    settings: Settings,
    token: str,
    dialogue: Dialogue,
    repository: object,
) -> Application:
    """The Application with the patient and staff handlers, per-chat ordering and rate limits."""
    api = settings.api_base_url
    builder = (
        Application.builder()
        .token(token)
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .concurrent_updates(PerChatUpdateProcessor())
        .connection_pool_size(16)
        .pool_timeout(30)
    )
    if settings.rate_limit:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=5))
    app = builder.build()
    staff = None
    if settings.staff_chat_id is not None:
        from staff.desk import StaffDeskService
        from staff.handlers import add_staff_handlers

        staff = StaffDeskService(app.bot, repository, settings)  # type: ignore[arg-type]
        add_staff_handlers(app, staff)
    app.bot_data["gateway"] = Gateway(
        app.bot,
        dialogue,
        repository,
        settings.pseudonym_secret,
        staff,  # type: ignore[arg-type]
    )
    add_patient_handlers(app)
    app.add_error_handler(on_error)
    return app
