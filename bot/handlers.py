"""Telegram handlers for patients (private chats): commands, messages, buttons, edits."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.content import message
from bot.gateway import Gateway, TurnContext, export_document

log = logging.getLogger(__name__)
ERASE = "gw:erase"
KEEP = "gw:keep"
RATE = "gw:rate:"
# Commands whose whole answer comes from the dialogue model.
DIALOGUE_COMMANDS = ("start", "help")


def gateway_of(context: ContextTypes.DEFAULT_TYPE) -> Gateway:
    return context.application.bot_data["gateway"]


async def dialogue_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start and /help: the dialogue model's own intents."""
    incoming = update.effective_message
    user = update.effective_user
    if incoming is None or user is None or not incoming.text:
        return
    command = incoming.text.split()[0].split("@")[0]
    turn = TurnContext(incoming.chat_id, incoming.message_id)
    await gateway_of(context).on_patient_payload(user, incoming.chat_id, command, turn)


async def restart(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/restart: a fresh conversation with the dialogue model."""
    incoming, user = update.effective_message, update.effective_user
    if incoming is None or user is None:
        return
    turn = TurnContext(incoming.chat_id, incoming.message_id)
    await gateway_of(context).restart(user, incoming.chat_id, turn)


async def privacy(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/privacy: what is stored and the patient's rights."""
    gateway = gateway_of(context)
    if update.effective_user is None or update.effective_chat is None:
        return
    patient = await gateway.register(update.effective_user, update.effective_chat.id)
    await gateway.say(patient, message("privacy"))


async def my_data(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/mydata: a JSON document of everything stored about the patient."""
    gateway = gateway_of(context)
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    await gateway.register(user, chat.id)
    data = await gateway.repository.export_patient(user.id)
    await gateway.repository.audit(
        actor_type="patient", actor_id=gateway.log_id(user.id), action="export"
    )
    await context.bot.send_document(
        chat.id,
        InputFile(export_document(data), filename="my-data.json"),
        caption=message("mydata_caption"),
    )


async def delete_request(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/delete: ask for an explicit confirmation before erasing."""
    if update.effective_chat is None:
        return
    buttons = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(message("delete_confirm_button"), callback_data=ERASE),
                InlineKeyboardButton(message("delete_cancel_button"), callback_data=KEEP),
            ]
        ]
    )
    await context.bot.send_message(
        update.effective_chat.id, message("delete_confirm"), reply_markup=buttons
    )


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any other command: say which ones exist."""
    if update.effective_chat is not None:
        await context.bot.send_message(update.effective_chat.id, message("unknown_command"))


async def patient_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Text or media from a patient: stored, then answered by the dialogue or relayed to staff."""
    if update.effective_user is None or update.effective_message is None:
        return
    await gateway_of(context).on_patient_message(update.effective_user, update.effective_message)


async def edited_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An edit: kept in the transcript; relayed to staff or the patient is told to resend."""
    edited = update.edited_message
    if edited is None or edited.from_user is None:
        return
    await gateway_of(context).on_patient_edit(edited.from_user, edited)


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button press: a dialogue payload, an erasure confirmation, or something stale."""
    query = update.callback_query
    if query is None or update.effective_user is None:
        return
    data = query.data or ""
    if query.message is not None and query.message.chat.type != ChatType.PRIVATE:
        await query.answer(message("stale_button"))
        return
    gateway = gateway_of(context)
    chat_id = query.message.chat.id if query.message else update.effective_user.id
    if data in (ERASE, KEEP):
        await query.answer()
        await _remove_buttons(query)
        await _erase_or_keep(gateway, update, context, chat_id, erase=data == ERASE)
        return
    if data.startswith(RATE):
        await query.answer()
        await _remove_buttons(query)
        try:
            case_id, rating = (int(part) for part in data.removeprefix(RATE).split(":"))
        except ValueError:
            return
        await gateway.on_rating(update.effective_user, chat_id, case_id, rating)
        return
    if not data.startswith("/") or query.message is None:
        await query.answer(message("stale_button"))
        return
    await query.answer()
    await _remove_buttons(query)
    turn = TurnContext(chat_id, None, callback_message_id=query.message.message_id)
    await gateway.on_patient_payload(update.effective_user, chat_id, data, turn)


async def _remove_buttons(query: object) -> None:
    try:
        await query.edit_message_reply_markup(reply_markup=None)  # type: ignore[attr-defined]
    except TelegramError:
        # The message may be too old to edit; the press is still handled.
        pass


async def _erase_or_keep(
    gateway: Gateway, update: Update, context: ContextTypes.DEFAULT_TYPE, chat_id: int, erase: bool
) -> None:
    user = update.effective_user
    assert user is not None
    if not erase:
        await context.bot.send_message(chat_id, message("delete_cancelled"))
        return
    await gateway.repository.erase_patient(user.id)
    log.info("patient data erased", extra={"patient": gateway.log_id(user.id)})
    await context.bot.send_message(chat_id, message("delete_done"))


def add_patient_handlers(app: Application) -> None:
    """Register the patient side; only private chats reach it."""
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler(list(DIALOGUE_COMMANDS), dialogue_command, filters=private))
    app.add_handler(CommandHandler("restart", restart, filters=private))
    app.add_handler(CommandHandler("privacy", privacy, filters=private))
    app.add_handler(CommandHandler("mydata", my_data, filters=private))
    app.add_handler(CommandHandler("delete", delete_request, filters=private))
    app.add_handler(
        MessageHandler(private & filters.COMMAND & filters.UpdateType.MESSAGE, unknown_command)
    )
    app.add_handler(MessageHandler(private & filters.UpdateType.EDITED, edited_message))
    app.add_handler(MessageHandler(private & filters.UpdateType.MESSAGE, patient_message))
    app.add_handler(CallbackQueryHandler(button))
