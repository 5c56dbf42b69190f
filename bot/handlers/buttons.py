"""The patient's button presses (callback queries): dialogue payloads, erasure, ratings."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop, BaseHandler, ContextTypes

from bot import language, withdrawal
from bot.content import message
from bot.gateway import Gateway, TurnContext
from bot.handlers.commands import ERASE, KEEP
from bot.handlers.common import (
    answer_press,
    gateway_of,
    pressed_label,
    record_refused_press,
    remove_buttons,
    shows_button,
    stale_text,
)

# A rating button's data: gw:rate:<case id>:<stars> (staff/actions.py sends it).
RATE = "gw:rate:"


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button press: a dialogue payload, an erasure confirmation, or something stale."""
    query = update.callback_query
    if query is None or update.effective_user is None:
        return
    data = query.data or ""
    if query.message is not None and query.message.chat.type != ChatType.PRIVATE:
        await answer_press(query, message("stale_button"))
        return
    if not shows_button(query.message, data):
        # Forged (any client can send any callback data) or replayed after the buttons
        # were removed: nothing reaches the dialogue model or the database.
        await answer_press(query, await stale_text(gateway_of(context), update.effective_user))
        await record_refused_press(gateway_of(context), update, data)
        return
    gateway = gateway_of(context)
    chat_id = query.message.chat.id if query.message else update.effective_user.id
    if data in (ERASE, KEEP):
        await answer_press(query)
        await remove_buttons(query)
        await _erase_or_keep(gateway, update, chat_id, erase=data == ERASE)
        return
    if language.is_english_clause_button(data) and query.message is not None:
        await answer_press(query)  # the clause's buttons stay: it is still to be answered
        label = pressed_label(query.message, data)
        await language.show_english_clause(gateway, update.effective_user, chat_id, data, label)
        return
    if language.is_language_button(data):
        await answer_press(query)
        await remove_buttons(query)
        await language.on_choice(gateway, update.effective_user, chat_id, data)
        return
    if withdrawal.is_withdrawal_button(data) and query.message is not None:
        await answer_press(query)
        await remove_buttons(query)
        turn = TurnContext(chat_id, None, callback_message_id=query.message.message_id)
        await withdrawal.on_press(gateway, update.effective_user, chat_id, data, turn)
        return
    if data.startswith(RATE):
        await answer_press(query)
        await remove_buttons(query)
        try:
            case_id, rating = (int(part) for part in data.removeprefix(RATE).split(":"))
        except ValueError:
            return
        await gateway.on_rating(update.effective_user, chat_id, case_id, rating)
        return
    if not data.startswith("/") or query.message is None:
        await answer_press(query, await stale_text(gateway, update.effective_user))
        return
    label = pressed_label(query.message, data)
    await answer_press(query)
    await remove_buttons(query)
    turn = TurnContext(
        chat_id, None, callback_message_id=query.message.message_id, button_label=label
    )
    await gateway.on_patient_payload(update.effective_user, chat_id, data, turn)


async def _erase_or_keep(gateway: Gateway, update: Update, chat_id: int, erase: bool) -> None:
    user = update.effective_user
    assert user is not None
    patient = await gateway.register(user, chat_id)
    if not erase:
        await gateway.say(patient, message("delete_cancelled", lang=patient.speaks))
        return
    await gateway.erase(patient)
    await gateway.say(patient, message("delete_done", lang=patient.speaks), keep=False)


class EmptyCallbackHandler(BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]):
    """Callback queries with no data at all.

    PTB's CallbackQueryHandler lets empty data through any `pattern`, so without this the
    first patterned handler (the staff buttons) would take a forged empty press.
    """

    def check_update(self, update: object) -> bool:
        query = update.callback_query if isinstance(update, Update) else None
        return query is not None and not query.data and not query.game_short_name


async def refuse_empty_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A press with no data: refused, recorded if private, and no other group sees it."""
    query = update.callback_query
    assert query is not None
    private = query.message is None or query.message.chat.type == ChatType.PRIVATE
    user = update.effective_user
    stale = message("stale_button")
    if private and user is not None:
        stale = await stale_text(gateway_of(context), user)
    await answer_press(query, stale)
    if update.effective_user is not None and (
        query.message is None or query.message.chat.type == ChatType.PRIVATE
    ):
        await record_refused_press(gateway_of(context), update, "")
    raise ApplicationHandlerStop
