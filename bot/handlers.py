"""Telegram handlers for patients (private chats): commands, messages, buttons, edits."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from telegram import (
    ChatMember,
    MaybeInaccessibleMessage,
    Message,
    Update,
)
from telegram.constants import ChatType
from telegram.error import RetryAfter, TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import leave, withdrawal
from bot.content import message
from bot.dialogue import Button
from bot.gateway import Gateway, TurnContext
from bot.incoming import export_document
from bot.logs import failure_fields, log_name

log = logging.getLogger(__name__)
ERASE = "gw:erase"
KEEP = "gw:keep"
RATE = "gw:rate:"
# How long a button press waits, at most, for Telegram's flood control to remove its buttons.
REMOVE_BUTTONS_MAX_WAIT = 3.0
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
    patient = await gateway.register(user, chat.id)
    data = await gateway.repository.export_patient(user.id)
    await gateway.send_document(
        patient, export_document(data), "my-data.json", message("mydata_caption")
    )


async def delete_request(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/delete: ask for an explicit confirmation before erasing."""
    gateway = gateway_of(context)
    if update.effective_user is None or update.effective_chat is None:
        return
    patient = await gateway.register(update.effective_user, update.effective_chat.id)
    buttons = (
        Button(message("delete_confirm_button"), ERASE),
        Button(message("delete_cancel_button"), KEEP),
    )
    await gateway.say(patient, message("delete_confirm"), buttons)


async def withdraw_request(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/withdraw: the consent in force, to withdraw clause by clause or all (bot/withdrawal.py).

    Answered while staff hold the case too: it is the patient's right, and the dialogue
    model is not asked (the takeover's silence holds)."""
    gateway = gateway_of(context)
    if update.effective_user is None or update.effective_message is None:
        return
    patient, _ = await gateway.begin_message_turn(update.effective_user, update.effective_message)
    await withdrawal.offer(gateway, patient)


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any other command: say which ones exist."""
    gateway = gateway_of(context)
    if update.effective_user is None or update.effective_message is None:
        return
    patient, _ = await gateway.begin_message_turn(update.effective_user, update.effective_message)
    await gateway.say(patient, message("unknown_command"))


async def console_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/console: staff get a one-time console link; anyone else, the unknown-command reply."""
    from console.command import send_console_link

    if not await send_console_link(update, context):
        await unknown_command(update, context)


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
    if not shows_button(query.message, data):
        # Forged (any client can send any callback data) or replayed after the buttons
        # were removed: nothing reaches the dialogue model or the database.
        await query.answer(message("stale_button"))
        await _record_refused_press(gateway_of(context), update, data)
        return
    gateway = gateway_of(context)
    chat_id = query.message.chat.id if query.message else update.effective_user.id
    if data in (ERASE, KEEP):
        await query.answer()
        await _remove_buttons(query)
        await _erase_or_keep(gateway, update, context, chat_id, erase=data == ERASE)
        return
    if withdrawal.is_withdrawal_button(data) and query.message is not None:
        await query.answer()
        await _remove_buttons(query)
        turn = TurnContext(chat_id, None, callback_message_id=query.message.message_id)
        await withdrawal.on_press(gateway, update.effective_user, chat_id, data, turn)
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


async def _record_refused_press(gateway: Gateway, update: Update, data: str) -> None:
    """Kept in the transcript, as everything the patient does is, but acted on nowhere."""
    user = update.effective_user
    assert user is not None
    chat_id = update.effective_chat.id if update.effective_chat else user.id
    patient = await gateway.register(user, chat_id)
    await gateway.repository.record_message(
        patient_id=patient.id,
        direction="in",
        author="patient",
        text=data,
        chat_id=chat_id,
        telegram_message_id=None,
        media_type="refused_button",
    )
    log.info("button press refused", extra={"patient": log_name(patient.pseudonym)})


class EmptyCallbackHandler(BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]):
    """Callback queries with no data at all.

    PTB's CallbackQueryHandler lets empty data through any `pattern`, so without this the
    first patterned handler (the staff buttons) would take a forged empty press.
    """

    def check_update(self, update: object) -> bool:
        query = update.callback_query if isinstance(update, Update) else None
        return query is not None and not query.data and not query.game_short_name


async def refuse_empty_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer(message("stale_button"))
    if update.effective_user is not None and (
        query.message is None or query.message.chat.type == ChatType.PRIVATE
    ):
        await _record_refused_press(gateway_of(context), update, "")
    raise ApplicationHandlerStop


def shows_button(pressed: MaybeInaccessibleMessage | None, data: str) -> bool:
    """Whether the bot's message still carries a button with exactly this callback data."""
    if not isinstance(pressed, Message) or pressed.reply_markup is None:
        return False
    return any(
        button.callback_data == data
        for row in pressed.reply_markup.inline_keyboard
        for button in row
    )


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


async def _remove_buttons(query: object) -> None:
    for _ in range(2):
        try:
            await query.edit_message_reply_markup(reply_markup=None)  # type: ignore[attr-defined]
            return
        except RetryAfter as flood:
            # Telegram's flood control: wait as asked (briefly) and try once more.
            await asyncio.sleep(min(_seconds(flood.retry_after), REMOVE_BUTTONS_MAX_WAIT))
        except TelegramError:
            # The message may be too old to edit; the press is still handled (and what it
            # refers to is checked against the stored state, so a second press is harmless).
            return


def _seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def _erase_or_keep(
    gateway: Gateway, update: Update, context: ContextTypes.DEFAULT_TYPE, chat_id: int, erase: bool
) -> None:
    user = update.effective_user
    assert user is not None
    patient = await gateway.register(user, chat_id)
    if not erase:
        await gateway.say(patient, message("delete_cancelled"))
        return
    await gateway.erase(patient)
    await gateway.say(patient, message("delete_done"), keep=False)


def add_patient_handlers(app: Application) -> None:
    """Register the patient side; only private chats reach it."""
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler(list(DIALOGUE_COMMANDS), dialogue_command, filters=private))
    app.add_handler(CommandHandler("restart", restart, filters=private))
    app.add_handler(CommandHandler("privacy", privacy, filters=private))
    app.add_handler(CommandHandler("mydata", my_data, filters=private))
    app.add_handler(CommandHandler("delete", delete_request, filters=private))
    app.add_handler(CommandHandler("withdraw", withdraw_request, filters=private))
    app.add_handler(CommandHandler("bot", leave.command, filters=private))
    app.add_handler(CommandHandler("console", console_command, filters=private))
    app.add_handler(
        MessageHandler(private & filters.COMMAND & filters.UpdateType.MESSAGE, unknown_command)
    )
    app.add_handler(MessageHandler(private & filters.UpdateType.EDITED, edited_message))
    app.add_handler(MessageHandler(private & filters.UpdateType.MESSAGE, patient_message))
    app.add_handler(CallbackQueryHandler(leave.button, pattern=f"^{leave.BACK_TO_BOT}$"))
    app.add_handler(CallbackQueryHandler(button))
    # Before every other group, the staff side's included (see EmptyCallbackHandler).
    app.add_handler(EmptyCallbackHandler(refuse_empty_press), group=-1)
    app.add_handler(ChatMemberHandler(bot_membership, ChatMemberHandler.MY_CHAT_MEMBER))
