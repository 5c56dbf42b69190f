"""The patient's messages and edits in a private chat."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.handlers.common import gateway_of


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
