"""Telegram handlers of the staff tools: /canned, /reply, /save, /note, /stats.

Registered by staff/handlers.py before its relay handler, so a photo captioned "/note ..."
is kept as a note and never relayed. Answers in a group go through the group's sender in the
live lane (desk.reply_in_group); /stats from anyone who is not staff gets no answer at all.
"""

from __future__ import annotations

from telegram import Message, Update, User
from telegram.ext import Application, CommandHandler, ContextTypes, MessageHandler, filters

from bot.content import message, tool_message
from staff.desk import StaffDeskService
from staff.group_replies import desk_of, reply_in_group, topic_case
from staff.notes import NOTE_COMMAND


def _argument(incoming: Message) -> str:
    """What follows the command (its first word)."""
    words = (incoming.text or "").split(maxsplit=2)
    return words[1] if len(words) > 1 else ""


async def _staff_only(desk: StaffDeskService, update: Update) -> tuple[Message, User] | None:
    incoming, user = update.effective_message, update.effective_user
    if incoming is None or user is None or user.is_bot:
        return None
    if not await desk.is_staff(user, incoming.chat_id):
        await reply_in_group(desk, incoming, message("staff.not_staff"))
        return None
    return incoming, user


async def canned(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/canned anywhere in a staff group: the list."""
    desk = desk_of(context)
    found = await _staff_only(desk, update)
    if found is not None:
        await reply_in_group(desk, found[0], await desk.canned_listing())


async def reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/reply NAME in a case topic: the canned reply to the patient, by its holder."""
    desk = desk_of(context)
    found = await _staff_only(desk, update)
    if found is None:
        return
    incoming = found[0]
    name = _argument(incoming)
    case = await topic_case(desk, incoming)
    if not name or case is None:
        await reply_in_group(desk, incoming, tool_message("canned.usage_reply"))
        return
    answer = await desk.send_canned(case, found[1], name, incoming.chat_id)
    await reply_in_group(desk, incoming, answer)


async def save(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/save NAME, replying to one's own message in the group."""
    desk = desk_of(context)
    found = await _staff_only(desk, update)
    if found is not None:
        incoming = found[0]
        answer = await desk.save_canned(found[1], incoming, _argument(incoming))
        await reply_in_group(desk, incoming, answer)


async def note(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/note ... (or a caption starting with it) in a case topic: kept, never relayed."""
    desk = desk_of(context)
    found = await _staff_only(desk, update)
    if found is not None:
        incoming = found[0]
        case = await topic_case(desk, incoming)
        await reply_in_group(desk, incoming, await desk.keep_note(case, found[1], incoming))


async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/stats: the service figures for staff; silence (audited) for anyone else."""
    desk = desk_of(context)
    incoming, user = update.effective_message, update.effective_user
    if incoming is None or user is None or user.is_bot:
        return
    in_group = desk.is_staff_group(incoming.chat_id)
    if not await desk.is_staff(user, incoming.chat_id if in_group else None):
        await desk.refuse_stats(user, incoming.chat_id)
        return
    if not in_group:
        # Staff asking in a private chat: straight to them, no staff group's budget spent.
        await context.bot.send_message(
            incoming.chat_id, await desk.stats_text(user), parse_mode="HTML"
        )
        return
    case = await topic_case(desk, incoming)
    await reply_in_group(desk, incoming, await desk.stats_text(user, case))


def add_tool_handlers(app: Application, group: filters.BaseFilter) -> None:
    """The staff tools' handlers; /stats answers (or keeps silent) in private chats too."""
    app.add_handler(CommandHandler("canned", canned, filters=group))
    app.add_handler(CommandHandler("reply", reply, filters=group))
    app.add_handler(CommandHandler("save", save, filters=group))
    app.add_handler(CommandHandler("note", note, filters=group))
    app.add_handler(CommandHandler("stats", stats, filters=group | filters.ChatType.PRIVATE))
    captioned_note = filters.CaptionRegex(NOTE_COMMAND)
    app.add_handler(MessageHandler(group & filters.UpdateType.MESSAGE & captioned_note, note))
