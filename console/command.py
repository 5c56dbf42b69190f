"""`/console` in a private chat: a staff member gets a one-time sign-in link to the console."""

from __future__ import annotations

import logging
from html import escape
from typing import TYPE_CHECKING

from telegram import LinkPreviewOptions, Update, User
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot.content import message
from console.context import ConsoleContext, StaffCheckUnavailable

if TYPE_CHECKING:
    from storage import Repository

log = logging.getLogger(__name__)


async def _is_staff(
    context: ContextTypes.DEFAULT_TYPE, user: User, console: ConsoleContext | None
) -> bool:
    if console is not None:
        return await console.is_staff(user.id)
    desk = context.application.bot_data.get("staff_desk")
    return desk is not None and bool(await desk.is_staff(user))


def _repository(context: ContextTypes.DEFAULT_TYPE) -> Repository:
    return context.application.bot_data["gateway"].repository


async def send_console_link(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Send staff their link; False for anyone else, whom the caller answers as any command."""
    # A staff member's chat with the bot is not a patient's: no profile, no transcript row,
    # no dialogue turn. The link is a secret: it goes straight to Telegram rather than into
    # the outbox's table, and is never logged.
    incoming, user = update.effective_message, update.effective_user
    if incoming is None or user is None:
        return True
    console: ConsoleContext | None = context.application.bot_data.get("console")
    repository = _repository(context)
    try:
        staff_now = await _is_staff(context, user, console)
    except StaffCheckUnavailable:
        # Telegram could not be asked: not a refusal, and no link until it can.
        await incoming.reply_text(message("staff.console_unavailable"))
        return True
    if not staff_now:
        await repository.audit(
            actor_type="stranger",
            actor_id=repository.pseudonym_for(user.id),
            action="refused_console_link",
        )
        return False
    if console is None:
        await incoming.reply_text(message("staff.console_off"))
        return True
    from console.auth import create_sign_in_link

    staff = await repository.upsert_staff(user.id, user.full_name)
    link = await create_sign_in_link(console, user.id, user.full_name)
    await context.bot.send_message(
        incoming.chat_id,
        message("staff.console_link", link=escape(link)),
        parse_mode=ParseMode.HTML,
        # A preview would make Telegram's servers fetch the link, and so use it up.
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )
    await repository.audit(actor_type="staff", actor_id=str(staff.id), action="console_link_sent")
    log.info("console link sent", extra={"staff_member_id": staff.id})
    return True
