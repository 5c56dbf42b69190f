"""What the patient handlers share: the gateway, the shown-button check, button removal."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from telegram import MaybeInaccessibleMessage, Message, Update, User
from telegram.error import BadRequest, RetryAfter, TelegramError
from telegram.ext import ContextTypes

from bot.content import message
from bot.gateway import Gateway
from bot.logs import log_name
from translation.choice import speaks

# Named as before the split: log filters, alerts and tests key on the logger's name.
log = logging.getLogger("bot.handlers")
# How long a button press waits, at most, for Telegram's flood control to remove its buttons.
REMOVE_BUTTONS_MAX_WAIT = 3.0


def gateway_of(context: ContextTypes.DEFAULT_TYPE) -> Gateway:
    """The gateway bot/app.py keeps in bot_data."""
    return context.application.bot_data["gateway"]


def shows_button(pressed: MaybeInaccessibleMessage | None, data: str) -> bool:
    """Whether the bot's message still carries a button with exactly this callback data."""
    if not isinstance(pressed, Message) or pressed.reply_markup is None:
        return False
    return any(
        button.callback_data == data
        for row in pressed.reply_markup.inline_keyboard
        for button in row
    )


def pressed_label(pressed: MaybeInaccessibleMessage | None, data: str) -> str | None:
    """The words on the button with this callback data, as the patient saw them."""
    if not isinstance(pressed, Message) or pressed.reply_markup is None:
        return None
    for row in pressed.reply_markup.inline_keyboard:
        for button in row:
            if button.callback_data == data:
                return button.text
    return None


async def record_refused_press(gateway: Gateway, update: Update, data: str) -> None:
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


async def stale_text(gateway: Gateway, user: User) -> str:
    """ "This button is no longer active", in the language the patient is answered in."""
    patient = await gateway.repository.get_patient(user.id)
    language = patient.speaks if patient is not None else speaks(None, user.language_code)
    return message("stale_button", lang=language)


async def answer_press(query: object, text: str | None = None, show_alert: bool = False) -> None:
    """Answer the callback query (the button's spinner stops). One already answered, or older
    than Telegram allows (about 15 s: a replay after a crash, or a turn another worker took
    over from a killed one), raises BadRequest: that must not fail the turn it starts."""
    try:
        await query.answer(text, show_alert=show_alert)  # type: ignore[attr-defined]
    except BadRequest:
        log.info("callback query already answered or too old: the press is handled")


async def remove_buttons(query: object) -> None:
    """Take the buttons off the pressed message, so it cannot be pressed again."""
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
