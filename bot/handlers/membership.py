"""The bot's own membership: a patient blocking it, or the bot added to a stranger's group."""

from __future__ import annotations

import logging

from telegram import ChatMember, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.content import message
from bot.handlers.common import gateway_of
from bot.logs import failure_fields

# Named as before the split: log filters, alerts and tests key on the logger's name.
log = logging.getLogger("bot.handlers")


async def bot_membership(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A patient blocking the bot, or the bot added to a group that is not the staff group
    (a short note, then leave).

    Patients are served in private chats only; staying in a stranger's group would let the
    bot read (and store) people who never chose to talk to it.
    """
    change = update.my_chat_member
    if change is None:
        return
    if change.chat.type == ChatType.PRIVATE:
        # A patient blocked the bot (kicked) or started it again (member).
        blocked = change.new_chat_member.status == ChatMember.BANNED
        await gateway_of(context).repository.set_patient_blocked(change.chat.id, blocked)
        return
    desk = context.application.bot_data.get("staff_desk")
    if desk is not None and desk.is_staff_group(change.chat.id):
        return
    if change.new_chat_member.status not in (ChatMember.MEMBER, ChatMember.ADMINISTRATOR):
        return
    log.info("added to an unrelated chat; leaving", extra={"chat_type": change.chat.type})
    try:
        if change.chat.type != ChatType.CHANNEL:
            await context.bot.send_message(change.chat.id, message("unrelated_group"))
        await context.bot.leave_chat(change.chat.id)
    except TelegramError as error:
        log.warning("could not leave an unrelated chat", extra=failure_fields(error))
