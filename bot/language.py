"""The patient's language at the gateway: the हिन्दी / English offer, its buttons, /language.

What a message decides is applied where the turn starts (storage/patients.py, by the rules
of translation/choice.py); here the patient is offered the choice and their choice kept.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from telegram import User

from bot.content import message
from bot.dialogue import Button
from bot.logs import log_name
from translation import LANGUAGES

if TYPE_CHECKING:
    from bot.gateway import Gateway
    from storage.refs import PatientRef

log = logging.getLogger(__name__)
# A choice button's data: gw:lang:<code>.
CHOOSE = "gw:lang:"


def is_language_button(data: str) -> bool:
    return data.startswith(CHOOSE) and data.removeprefix(CHOOSE) in LANGUAGES


async def offer(gateway: Gateway, patient: PatientRef) -> None:
    """हिन्दी / English, two buttons, worded in the language they are answered in now."""
    lang = patient.speaks
    buttons = (
        Button(message("language.hindi_button", lang=lang), CHOOSE + "hi"),
        Button(message("language.english_button", lang=lang), CHOOSE + "en"),
    )
    await gateway.say(patient, message("language.offer", lang=lang), buttons)


async def on_choice(gateway: Gateway, user: User, chat_id: int, data: str) -> None:
    """A choice button: kept on the patient and confirmed in the language chosen."""
    language = data.removeprefix(CHOOSE)
    patient = await gateway.register(user, chat_id)
    chosen = await gateway.repository.choose_language(patient.telegram_user_id, language)
    if chosen is None:
        return
    log.info("language chosen", extra={"patient": log_name(chosen.pseudonym), "language": language})
    await gateway.say(chosen, message("language.chosen", lang=chosen.speaks))
