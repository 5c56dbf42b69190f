"""Telegram handlers for the staff groups: case buttons, /queue, /release, /close and relay.

Staff act on the cases of the group they write in; every answer in a group goes through that
group's paced sender (desk.reply_in_group), only callback answers go straight to Telegram.
"""

from __future__ import annotations

import logging

from telegram import CallbackQuery, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.content import message
from bot.handlers.common import answer_press
from staff.desk import StaffDeskService
from staff.group_replies import desk_of, reply_in_group, topic_case
from staff.tool_handlers import add_tool_handlers

log = logging.getLogger(__name__)


async def case_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Take over / Hand back / Close on a case card, Take over and the page buttons on the
    queue summary; only staff may press them."""
    query = update.callback_query
    if query is None or update.effective_user is None:
        return
    desk = desk_of(context)
    chat_id = query.message.chat.id if query.message is not None else None
    if chat_id is None or not await desk.is_staff(update.effective_user, chat_id):
        await desk.repository.audit(
            actor_type="stranger",
            actor_id=desk.repository.pseudonym_for(update.effective_user.id),
            action="refused_case_button",
        )
        await answer_press(query, message("staff.not_staff"), show_alert=True)
        return
    if (query.data or "").startswith("staff:page:"):
        await _summary_page(desk, query, chat_id)
        return
    try:
        _, action, case_text = (query.data or "").split(":")
        case = await desk.repository.get_case(int(case_text))
    except ValueError:
        case = None
    if case is None or desk.group_of(case) != chat_id:
        await answer_press(query, message("staff.no_case_here"))
        return
    actions = {"claim": desk.claim_case, "release": desk.release, "close": desk.close}
    if action not in actions:
        await answer_press(query, message("stale_button"))
        return
    outcome = await actions[action](case, update.effective_user)
    await answer_press(query, outcome.text[:200], show_alert=not outcome.done)


async def _summary_page(desk: StaffDeskService, query: CallbackQuery, chat_id: int) -> None:
    """The queue summary's next or previous page, shown to the whole group."""
    try:
        page = int((query.data or "").rsplit(":", 1)[1])
    except ValueError:
        await answer_press(query, message("stale_button"))
        return
    shown = await desk.show_summary_page(chat_id, page)
    await answer_press(query, message("staff.summary.page_shown", page=shown + 1))


async def topic_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/release and /close typed in a case's topic."""
    incoming, user = update.effective_message, update.effective_user
    if incoming is None or user is None or not incoming.text:
        return
    desk = desk_of(context)
    if not await desk.is_staff(user, incoming.chat_id):
        await reply_in_group(desk, incoming, message("staff.not_staff"))
        return
    case = await topic_case(desk, incoming)
    if case is None:
        await reply_in_group(desk, incoming, message("staff.no_case_here"))
        return
    command = incoming.text.split()[0].split("@")[0].lstrip("/")
    outcome = await (desk.release(case, user) if command == "release" else desk.close(case, user))
    if not outcome.done:
        await reply_in_group(desk, incoming, outcome.text)


async def queue(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/queue: the waiting cases."""
    incoming, user = update.effective_message, update.effective_user
    if incoming is None or user is None:
        return
    desk = desk_of(context)
    if not await desk.is_staff(user, incoming.chat_id):
        await reply_in_group(desk, incoming, message("staff.not_staff"))
        return
    thread_id = incoming.message_thread_id if incoming.is_topic_message else None
    await desk.post_queue(user, incoming.chat_id, thread_id, incoming.message_id)


async def staff_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A message in a case topic: to the patient if its writer holds the case."""
    incoming, user = update.effective_message, update.effective_user
    if incoming is None or user is None or user.is_bot:
        return
    desk = desk_of(context)
    case = await topic_case(desk, incoming)
    if case is None or not await desk.is_staff(user, incoming.chat_id):
        return
    refusal = await desk.relay_from_staff(case, user, incoming)
    if refusal:
        await reply_in_group(desk, incoming, refusal)


async def staff_edit(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A staff member edited a message that was relayed to a patient."""
    edited, user = update.edited_message, update.effective_user
    if edited is None or user is None:
        return
    desk = desk_of(context)
    if not await desk.is_staff(user, edited.chat_id):
        return
    problem = await desk.relay_staff_edit(user, edited)
    if problem:
        await reply_in_group(desk, edited, problem)


def add_staff_handlers(app: Application, desk: StaffDeskService) -> None:
    """Register the staff side; only the staff groups (and their buttons) reach it."""
    app.bot_data["staff_desk"] = desk
    group = filters.Chat(list(desk.chat_ids))
    app.add_handler(CallbackQueryHandler(case_button, pattern=r"^staff:"))
    app.add_handler(CommandHandler("queue", queue, filters=group))
    app.add_handler(CommandHandler(["release", "close"], topic_command, filters=group))
    add_tool_handlers(app, group)  # before the relay: a captioned /note is never relayed
    app.add_handler(MessageHandler(group & filters.UpdateType.EDITED_MESSAGE, staff_edit))
    app.add_handler(
        # Service messages (a topic closed or reopened by staff, members joining) are no
        # staff reply: Telegram would refuse to copy them, and the patient must not get them.
        MessageHandler(
            group & filters.UpdateType.MESSAGE & ~filters.COMMAND & ~filters.StatusUpdate.ALL,
            staff_message,
        )
    )
