"""The patient side of the gateway: store what arrives, ask the dialogue model, deliver.

`Gateway` is built from its parts: `bot/patient_turns.py` (a patient's turn: messages,
edits, buttons, commands, the dialogue model), `bot/effects.py` (what reaches the patient
and what the dialogue's replies cause), and here the outbox's delivery callbacks and the
patient's rights that are no dialogue turn (erasure, a rating). The types they share
(TurnContext, the StaffDesk protocol) are in `bot/gateway_ports.py`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from telegram import Bot, Message, User

from bot.content import message
from bot.dialogue import Dialogue
from bot.gateway_ports import StaffDesk, TurnContext
from bot.logs import log_name, pseudonym
from bot.outbox import Outbox
from bot.patient_turns import PatientTurns
from bot.receipts import ReceiptRenderer

if TYPE_CHECKING:
    from storage.durable import DurableStore, OutboxEntry
    from storage.repository import PatientRef, Repository

__all__ = ["Gateway", "StaffDesk", "TurnContext"]
log = logging.getLogger(__name__)


class Gateway(PatientTurns):
    """Routes each patient message to the dialogue model or to the staff member holding the case."""

    def __init__(
        self,
        bot: Bot,
        dialogue: Dialogue,
        repository: Repository,
        store: DurableStore,
        pseudonym_secret: bytes,
        staff: StaffDesk | None = None,
    ) -> None:
        self.bot = bot
        self.dialogue = dialogue
        self.repository = repository
        self.staff = staff
        self._secret = pseudonym_secret
        self.outbox = Outbox(bot, store, self.record_sent, self.on_blocked)
        self._side_tasks: set[asyncio.Task[None]] = set()
        self._language_offers: set[int] = set()
        self.receipts = ReceiptRenderer()
        self.register_tasks()

    async def record_sent(self, entry: OutboxEntry, sent: Message) -> None:
        """Telegram has the message: mark it sent and put it in the patient's transcript."""
        record = entry.payload.get("record")
        transcript = None
        if record:
            transcript = {
                "patient_id": record["patient_id"],
                "direction": "out",
                "author": record.get("author", "bot"),
                "text": record.get("text"),
                "chat_id": entry.chat_id,
                "telegram_message_id": sent.message_id,
                "media_type": record.get("media_type"),
                "file_id": sent.document.file_id if sent.document else None,
                "staff_member_id": record.get("staff_member_id"),
                "relayed_chat_id": record.get("relayed_chat_id"),
                "relayed_message_id": record.get("relayed_message_id"),
            }
        await self.repository.record_delivery(
            outbox_id=entry.id, telegram_message_id=sent.message_id, transcript=transcript
        )

    async def on_blocked(self, chat_id: int) -> None:
        """Telegram says the patient blocked the bot (private chat id = user id)."""
        await self.repository.set_patient_blocked(chat_id, True)
        patient = await self.repository.get_patient(chat_id)
        if patient is not None and self.staff is not None:
            await self.staff.notify_blocked(patient)

    def log_id(self, telegram_user_id: int) -> str:
        return pseudonym(self._secret, telegram_user_id)

    async def erase(self, patient: PatientRef) -> None:
        """/delete confirmed: personal data, transcript, tracker, their chat's queued updates
        and messages, the staff groups' updates and sends about them (one transaction,
        storage/privacy.py), then their cases' topics in Telegram."""
        # Read first: erasure unlinks the cases from their topics and staff groups.
        staff_cases = await self.staff.cases_to_forget(patient) if self.staff is not None else ()
        first_group = self.staff.chat_id if self.staff is not None else None
        await self.repository.erase_patient(patient.telegram_user_id, first_group)
        if self.staff is not None:
            await self.staff.forget_cases(staff_cases)
        log.info("patient data erased", extra={"patient": log_name(patient.pseudonym)})

    async def on_rating(self, user: User, chat_id: int, case_id: int, rating: int) -> None:
        """A 1-5 rating after a closed case."""
        patient = await self.register(user, chat_id)
        case = await self.repository.get_case(case_id)
        if case is None or case.patient_id != patient.id or not 1 <= rating <= 5:
            await self.say(patient, message("stale_button", lang=patient.speaks))
            return
        await self.repository.rate_case(case_id, rating)
        await self.say(patient, message("rating_thanks", lang=patient.speaks))
