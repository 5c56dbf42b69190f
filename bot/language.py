"""The patient's language at the gateway: the हिन्दी / English offer, its buttons, /language.

What a message decides is applied where the turn starts (storage/patients.py, by the rules
of translation/choice.py); here the patient is offered the choice and their choice kept.
"""

from __future__ import annotations

import logging
from html import escape
from typing import TYPE_CHECKING

from telegram import User

from bot.content import message
from bot.dialogue import Button
from bot.logs import log_name
from storage.refs import IncomingRecord
from translation import LANGUAGES

if TYPE_CHECKING:
    from bot.gateway_ports import PatientDesk
    from storage.refs import PatientRef

log = logging.getLogger(__name__)
# A choice button's data: gw:lang:<code>.
CHOOSE = "gw:lang:"
# A translated consent clause's "English text" button: gw:clause_en:<clause number>
# (actions/consent.py adds it).
ENGLISH_CLAUSE = "gw:clause_en:"


def is_language_button(data: str) -> bool:
    return data.startswith(CHOOSE) and data.removeprefix(CHOOSE) in LANGUAGES


async def offer(gateway: PatientDesk, patient: PatientRef) -> None:
    """हिन्दी / English, two buttons, worded in the language they are answered in now."""
    lang = patient.speaks
    buttons = (
        Button(message("language.hindi_button", lang=lang), CHOOSE + "hi"),
        Button(message("language.english_button", lang=lang), CHOOSE + "en"),
    )
    await gateway.say(patient, message("language.offer", lang=lang), buttons)


async def on_choice(gateway: PatientDesk, user: User, chat_id: int, data: str) -> None:
    """A choice button: kept on the patient and confirmed in the language chosen."""
    language = data.removeprefix(CHOOSE)
    patient = await gateway.register(user, chat_id)
    chosen = await gateway.repository.choose_language(patient.telegram_user_id, language)
    if chosen is None:
        return
    log.info("language chosen", extra={"patient": log_name(chosen.pseudonym), "language": language})
    await gateway.say(chosen, message("language.chosen", lang=chosen.speaks))


def is_english_clause_button(data: str) -> bool:
    return data.startswith(ENGLISH_CLAUSE) and data.removeprefix(ENGLISH_CLAUSE).isdigit()


async def show_english_clause(
    gateway: PatientDesk, user: User, chat_id: int, data: str, label: str | None
) -> None:
    """The client's English original of a clause, beside its translation: the clause's own
    buttons stay, and the consent goes on where it was."""
    from storage.consent_texts import load_clauses

    number = int(data.removeprefix(ENGLISH_CLAUSE))
    record = IncomingRecord(
        text=label or data, chat_id=chat_id, telegram_message_id=None, media_type="button"
    )
    patient, _ = await gateway.begin_turn(user, chat_id, record)
    clause = next((c for c in load_clauses() if c.number == number), None)
    if clause is None:
        await gateway.say(patient, message("stale_button", lang=patient.speaks))
        return
    original = escape(clause.text)
    text = message("consent_original", lang=patient.speaks, number=number, text=original)
    await gateway.say(patient, text)
