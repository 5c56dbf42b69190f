"""The patient's commands: /start /help /restart /privacy /mydata /delete /withdraw /language
/console."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.ext import ContextTypes

from bot import language, withdrawal
from bot.content import message
from bot.dialogue import Button
from bot.gateway import TurnContext
from bot.handlers.common import gateway_of
from bot.incoming import export_document

# The /delete confirmation's buttons (answered in bot/handlers/buttons.py).
ERASE = "gw:erase"
KEEP = "gw:keep"
# Commands whose whole answer comes from the dialogue model.
DIALOGUE_COMMANDS = ("start", "help")
CommandCallback = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]]
# /console's link: sent to staff (True), or False for anyone else (not staff).
ConsoleLink = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[bool]]


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
    await gateway.say(patient, message("privacy", lang=patient.speaks))


async def my_data(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/mydata: a JSON document of everything stored about the patient."""
    gateway = gateway_of(context)
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    patient = await gateway.register(user, chat.id)
    data = await gateway.repository.export_patient(user.id)
    await gateway.send_document(
        patient,
        export_document(data),
        "my-data.json",
        message("mydata_caption", lang=patient.speaks),
    )


async def delete_request(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/delete: ask for an explicit confirmation before erasing."""
    gateway = gateway_of(context)
    if update.effective_user is None or update.effective_chat is None:
        return
    patient = await gateway.register(update.effective_user, update.effective_chat.id)
    buttons = (
        Button(message("delete_confirm_button", lang=patient.speaks), ERASE),
        Button(message("delete_cancel_button", lang=patient.speaks), KEEP),
    )
    await gateway.say(patient, message("delete_confirm", lang=patient.speaks), buttons)


async def withdraw_request(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/withdraw: the consent in force, to withdraw clause by clause or all (bot/withdrawal.py).

    Answered while staff hold the case too: it is the patient's right, and the dialogue
    model is not asked (the takeover's silence holds)."""
    gateway = gateway_of(context)
    if update.effective_user is None or update.effective_message is None:
        return
    patient, _ = await gateway.begin_message_turn(update.effective_user, update.effective_message)
    await withdrawal.offer(gateway, patient)


async def language_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/language: हिन्दी / English, at any time."""
    gateway = gateway_of(context)
    if update.effective_user is None or update.effective_message is None:
        return
    patient, _ = await gateway.begin_message_turn(update.effective_user, update.effective_message)
    await language.offer(gateway, patient)


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any other command: say which ones exist."""
    gateway = gateway_of(context)
    if update.effective_user is None or update.effective_message is None:
        return
    patient, _ = await gateway.begin_message_turn(update.effective_user, update.effective_message)
    await gateway.say(patient, message("unknown_command", lang=patient.speaks))


def console_command(send_link: ConsoleLink) -> CommandCallback:
    """/console: staff get a one-time console link; anyone else, the unknown-command reply.

    The link is the console's (console/command.py), handed in by the process that serves it.
    """

    async def handle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not await send_link(update, context):
            await unknown_command(update, context)

    return handle
