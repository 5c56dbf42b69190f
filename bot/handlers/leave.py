"""The patient leaves a handoff: /bot, or the "Back to the assistant" button (bot/leave.py).

Whatever the case's state (waiting in the queue, held by a staff member, the staff member
gone silent), the patient can always get back to the assistant: the case goes back to the
bot (staff/leaving.py says why it is not closed), staff are told in its topic, and the
assistant answers the patient's next message. Outside a handoff the patient is told they
are already with the assistant.
"""

from __future__ import annotations

import logging

from telegram import Update, User
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot.content import message, tool_message
from bot.handlers.common import (
    answer_press,
    gateway_of,
    record_refused_press,
    remove_buttons,
    shows_button,
    stale_text,
)
from bot.leave import BACK_TO_BOT
from bot.logs import log_name
from storage.refs import IncomingRecord
from storage.staff_tools import LEAVABLE, StaffToolsStore

# Named as before the move: log filters, alerts and tests key on the logger's name.
log = logging.getLogger("bot.leave")


async def _leave(context: ContextTypes.DEFAULT_TYPE, user: User, record: IncomingRecord) -> None:
    gateway = gateway_of(context)
    patient, _ = await gateway.begin_turn(user, record.chat_id, record)
    case = await gateway.repository.open_case_for(patient.id)
    if case is None or case.status not in LEAVABLE:
        await gateway.say(patient, tool_message("leave.not_in_handoff"))
        return
    left = await StaffToolsStore(gateway.repository.database).return_to_bot(
        case.id, patient.pseudonym
    )
    if left is None:  # staff released or closed it a moment ago
        await gateway.say(patient, tool_message("leave.not_in_handoff"))
        return
    await gateway.say(patient, tool_message("leave.back"))
    log.info(
        "patient left the handoff",
        extra={"patient": log_name(patient.pseudonym), "case": case.reference},
    )
    desk = context.application.bot_data.get("staff_desk")
    if desk is not None:
        await desk.patient_left(left, was_queued=case.status == "queued")


async def command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/bot in the private chat."""
    incoming, user = update.effective_message, update.effective_user
    if incoming is None or user is None:
        return
    record = IncomingRecord(
        text=incoming.text,
        chat_id=incoming.chat_id,
        telegram_message_id=incoming.message_id,
        media_type=None,
        file_id=None,
    )
    await _leave(context, user, record)


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The "Back to the assistant" button (only on the bot's own message that shows it)."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    private = query.message is not None and query.message.chat.type == ChatType.PRIVATE
    if not private or not shows_button(query.message, BACK_TO_BOT):
        stale = await stale_text(gateway_of(context), user) if private else message("stale_button")
        await answer_press(query, stale)
        if private:  # forged or replayed: kept in the transcript, acted on nowhere
            await record_refused_press(gateway_of(context), update, BACK_TO_BOT)
        return
    await answer_press(query)
    await remove_buttons(query)
    assert query.message is not None
    record = IncomingRecord(
        text="/bot",
        chat_id=query.message.chat.id,
        telegram_message_id=None,
        media_type="button",
        file_id=None,
    )
    await _leave(context, user, record)
