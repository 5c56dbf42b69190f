"""The "Back to the assistant" button, sent to a patient in a handoff with the takeover and
waiting notices (staff/actions.py, staff/reminders.py): whatever the case's state, the patient
can always get back to the assistant. Its press and /bot are answered in
bot/handlers/leave.py.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.content import tool_message

BACK_TO_BOT = "gw:bot"


def back_to_bot_markup() -> InlineKeyboardMarkup:
    """The button sent with the takeover and waiting notices."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(tool_message("leave.button"), callback_data=BACK_TO_BOT)]]
    )
