"""A patient's turn: what they sent kept first, then answered by the dialogue model or
relayed to the staff member holding their case."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from telegram import Bot, Message, User
from telegram.constants import ChatAction
from telegram.error import TelegramError

from bot import language
from bot.content import message
from bot.dialogue import Dialogue, DialogueError
from bot.effects import DialogueEffects
from bot.gateway_ports import TurnContext
from bot.incoming import media_of, visible
from bot.logs import log_name
from bot.outbox import text_payload
from storage.refs import IncomingRecord
from understanding.red_flags import find_red_flag, nlu_window

if TYPE_CHECKING:
    from storage.repository import PatientRef

# Named as before the split: log filters, alerts and tests key on the logger's name.
log = logging.getLogger("bot.gateway")
# What the NLU reads of a very long message; the transcript keeps all of it.
NLU_TEXT_LIMIT = 1000
EMERGENCY_INTENT = "emergency"


class PatientTurns(DialogueEffects):
    """The part of the gateway that takes a patient's message, edit, button or command."""

    bot: Bot
    dialogue: Dialogue
    _side_tasks: set[asyncio.Task[None]]
    _language_offers: set[int]

    async def register(self, user: User, chat_id: int) -> PatientRef:
        """Create or refresh the patient's record from their Telegram profile."""
        return await self.repository.upsert_patient(
            telegram_user_id=user.id,
            chat_id=chat_id,
            display_name=user.full_name,
            language_code=user.language_code,
        )

    async def begin_turn(
        self, user: User, chat_id: int, incoming: IncomingRecord
    ) -> tuple[PatientRef, bool]:
        """The patient's record refreshed and what they sent kept (once), before anything else
        can fail; and whether a staff member holds their case."""
        turn = await self.repository.begin_patient_turn(
            telegram_user_id=user.id,
            chat_id=chat_id,
            display_name=user.full_name,
            language_code=user.language_code,
            incoming=incoming,
        )
        held = self.staff is not None and self.staff.holds_case(turn.open_case)
        if turn.offer_language:
            self._language_offers.add(turn.patient.chat_id)
        return turn.patient, held

    async def offer_language_if_due(self, patient: PatientRef) -> None:
        """हिन्दी / English, after the answer, where this turn decided to offer it (once)."""
        if patient.chat_id in self._language_offers:
            self._language_offers.discard(patient.chat_id)
            await language.offer(self, patient)

    async def begin_message_turn(self, user: User, incoming: Message) -> tuple[PatientRef, bool]:
        """`begin_turn` for a message, media included."""
        media_type, file_id = media_of(incoming)
        record = IncomingRecord(
            text=incoming.text or incoming.caption,
            chat_id=incoming.chat_id,
            telegram_message_id=incoming.message_id,
            media_type=media_type,
            file_id=file_id,
        )
        return await self.begin_turn(user, incoming.chat_id, record)

    async def on_patient_message(self, user: User, incoming: Message) -> None:
        """A message from a patient in a private chat."""
        patient, held = await self.begin_message_turn(user, incoming)
        media_type, _ = media_of(incoming)
        text = (incoming.text or incoming.caption or "").strip()
        if self.staff is not None and held:
            await self.staff.relay_from_patient(patient, incoming)
            if text and await self.is_red_flag(text):
                # The person holding the case may not be looking: the patient gets the
                # emergency guidance from the dialogue at once, and the holder an alert.
                await self.converse(
                    patient,
                    nlu_window(text, NLU_TEXT_LIMIT),
                    TurnContext(incoming.chat_id, incoming.message_id),
                )
                await self.staff.alert_emergency(patient)
            return
        if media_type is not None:
            await self.say(patient, message(f"media_received.{media_type}", lang=patient.speaks))
            if not text:
                return
        if not visible(text):
            await self.say(patient, message("empty_message", lang=patient.speaks))
            return
        if len(text) > NLU_TEXT_LIMIT:
            await self.say(patient, message("long_message", lang=patient.speaks))
            text = nlu_window(text, NLU_TEXT_LIMIT)
        await self.converse(patient, text, TurnContext(incoming.chat_id, incoming.message_id))
        await self.offer_language_if_due(patient)

    async def is_red_flag(self, text: str) -> bool:
        """Whether the text is an emergency: the lexicon over all of it, else the NLU
        pipeline (whose arbiter already weighed DIET's confidence). No state changes."""
        if find_red_flag(text) is not None:
            return True
        try:
            parsed = await self.dialogue.parse(text[:NLU_TEXT_LIMIT])
        except DialogueError:
            return False
        return parsed.name == EMERGENCY_INTENT

    async def on_patient_edit(self, user: User, edited: Message) -> None:
        """An edit is kept; staff holding the case see it; otherwise the patient is told."""
        patient = await self.register(user, edited.chat_id)
        # A new row, not an update: the original text stays in the transcript too.
        await self.repository.record_message(
            patient_id=patient.id,
            direction="in",
            author="patient",
            text=edited.text or edited.caption,
            chat_id=edited.chat_id,
            telegram_message_id=edited.message_id,
            media_type="edit",
        )
        if self.staff is not None and await self.staff.holds(patient):
            await self.staff.relay_patient_edit(patient, edited)
            return
        await self.say(patient, message("edited_message", lang=patient.speaks))

    async def on_patient_payload(
        self, user: User, chat_id: int, payload: str, turn: TurnContext
    ) -> None:
        """A button press or command, sent to the dialogue model as an intent payload."""
        record = IncomingRecord(
            text=turn.button_label or payload,
            chat_id=chat_id,
            telegram_message_id=turn.message_id,
            media_type="button" if turn.callback_message_id else None,
        )
        patient, held = await self.begin_turn(user, chat_id, record)
        if held:
            await self.say(patient, message("with_staff_notice", lang=patient.speaks))
            return
        await self.converse(patient, payload, turn)
        await self.offer_language_if_due(patient)

    async def restart(self, user: User, chat_id: int, turn: TurnContext) -> None:
        """/restart: Rasa forgets the conversation (its restart may say nothing), then /start."""
        with contextlib.suppress(DialogueError):
            await self.dialogue.respond(str(chat_id), "/restart", turn.metadata())
        await self.on_patient_payload(user, chat_id, "/start", turn)

    async def converse(self, patient: PatientRef, text: str, turn: TurnContext) -> None:
        """One turn with the dialogue model, its replies delivered and its side effects done.

        If the dialogue (Rasa or its action server) fails, the patient is told once that the
        message is kept, and the turn is left for the turn runner to run again.
        """
        if turn.callback_message_id is None:
            # A typed message may take the model a moment; a button press is answered at once.
            self.show_typing(patient.chat_id)
        try:
            metadata = await self.dialogue_metadata(patient, turn)
            replies = await self.dialogue.respond(str(patient.chat_id), text, metadata)
        except DialogueError as exc:
            # The turn runner runs this update again with backoff; this chat waits meanwhile.
            if self.outbox.first_attempt():
                log.error(
                    "dialogue unavailable; the turn will be retried",
                    extra={"patient": log_name(patient.pseudonym), "reason": str(exc)},
                )
                notice = text_payload(
                    message("dialogue_unavailable", lang=patient.speaks), None, None
                )
                await self.outbox.send_now(patient.chat_id, notice)
            self.outbox.keep_unprocessed()
            return
        await self.deliver(patient, replies, turn)

    def show_typing(self, chat_id: int) -> None:
        """Show "typing…" while the model thinks, on the side: the reply must not wait for it."""
        task = asyncio.create_task(self._send_typing(chat_id))
        self._side_tasks.add(task)
        task.add_done_callback(self._side_tasks.discard)

    async def _send_typing(self, chat_id: int) -> None:
        with contextlib.suppress(TelegramError):
            await self.bot.send_chat_action(chat_id, ChatAction.TYPING)
