"""The staff desk: cases in forum topics, race-safe claims, relay both ways, release and close."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from html import escape

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, User
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError

from bot.config import Settings
from bot.content import message
from bot.logs import failure_fields
from bot.outbox import Outbox, copy_payload, text_payload
from staff.card import render_card, render_queue, topic_name
from storage import CaseRef, PatientRef, Repository, StaffRef

log = logging.getLogger(__name__)
STAFF_STATUSES = ("creator", "administrator", "member")
MEMBERSHIP_CACHE_SECONDS = 60.0


@dataclass(frozen=True)
class Outcome:
    """What a staff action did: `done` is False when it was refused, `text` says why or what."""

    done: bool
    text: str


class StaffDeskService:
    """Everything the staff side does; the handlers in staff/handlers.py only call into it."""

    def __init__(
        self, bot: Bot, repository: Repository, settings: Settings, outbox: Outbox
    ) -> None:
        assert settings.staff_chat_id is not None
        self.bot = bot
        self.repository = repository
        self.outbox = outbox
        self.chat_id = settings.staff_chat_id
        self.allow_list = settings.staff_user_ids
        self.renotify_seconds = settings.queue_renotify_seconds
        self._membership: dict[int, tuple[bool, float]] = {}
        self._renotifier: asyncio.Task[None] | None = None

    # -- who is staff ------------------------------------------------------------------

    async def is_staff(self, user: User) -> bool:
        """On the allow-list, or a current member of the staff group (asked, then cached)."""
        return await self.is_staff_id(user.id)

    async def is_staff_id(self, user_id: int, *, fresh: bool = False) -> bool:
        """As is_staff; `fresh` asks Telegram whatever the cache holds (the web console)."""
        if user_id in self.allow_list:
            return True
        cached = self._membership.get(user_id)
        if (
            not fresh
            and cached is not None
            and time.monotonic() - cached[1] < MEMBERSHIP_CACHE_SECONDS
        ):
            return cached[0]
        try:
            member = await self.bot.get_chat_member(self.chat_id, user_id)
            allowed = member.status in STAFF_STATUSES
        except TelegramError:
            allowed = False
        self._membership[user_id] = (allowed, time.monotonic())
        return allowed

    async def staff_member(self, user: User) -> StaffRef:
        return await self.repository.upsert_staff(user.id, user.full_name)

    async def _holder_name(self, case: CaseRef) -> str | None:
        if case.holder_staff_id is None:
            return None
        staff = await self.repository.get_staff(case.holder_staff_id)
        return staff.display_name if staff else None

    # -- cases in topics ---------------------------------------------------------------

    def _card_buttons(self, case: CaseRef) -> InlineKeyboardMarkup | None:
        if case.status == "closed":
            return None
        first = (
            InlineKeyboardButton(
                message("staff.release_button"), callback_data=f"staff:release:{case.id}"
            )
            if case.status == "with_staff"
            else InlineKeyboardButton(
                message("staff.take_over_button"), callback_data=f"staff:claim:{case.id}"
            )
        )
        close = InlineKeyboardButton(
            message("staff.close_button"), callback_data=f"staff:close:{case.id}"
        )
        return InlineKeyboardMarkup([[first, close]])

    async def _card_text(self, case: CaseRef, patient: PatientRef) -> str:
        consent = await self.repository.consent_state(patient.id)
        last = await self.repository.last_messages(patient.id, limit=5)
        return render_card(case, patient.display_name, consent, last, await self._holder_name(case))

    async def announce_case(self, case: CaseRef, patient: PatientRef) -> None:
        """Open the case's topic with its card, or refresh the card of a case already there."""
        text = await self._card_text(case, patient)
        if case.thread_id is None:
            topic = await self.bot.create_forum_topic(
                self.chat_id, topic_name(case, patient.display_name)
            )
            card = await self.bot.send_message(
                self.chat_id,
                text,
                parse_mode=ParseMode.HTML,
                message_thread_id=topic.message_thread_id,
                reply_markup=self._card_buttons(case),
            )
            await self.repository.set_case_topic(case.id, topic.message_thread_id, card.message_id)
            log.info("case announced", extra={"case": case.reference, "urgency": case.urgency})
            return
        await self.refresh_card(case, patient)
        if case.urgency == "urgent":
            await self.bot.send_message(
                self.chat_id,
                text,
                parse_mode=ParseMode.HTML,
                message_thread_id=case.thread_id,
                reply_markup=self._card_buttons(case),
            )

    async def refresh_card(self, case: CaseRef, patient: PatientRef | None = None) -> None:
        """Rewrite the card so it shows the case as it is now."""
        if case.card_message_id is None:
            return
        patient = patient or await self._patient(case)
        if patient is None:
            return
        try:
            await self.bot.edit_message_text(
                await self._card_text(case, patient),
                chat_id=self.chat_id,
                message_id=case.card_message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=self._card_buttons(case),
            )
        except BadRequest:
            # "message is not modified" and edits of deleted cards change nothing for anyone.
            pass

    async def _patient(self, case: CaseRef) -> PatientRef | None:
        if case.patient_id is None:
            return None
        return await self.repository.get_patient_by_id(case.patient_id)

    async def _say_in_topic(self, case: CaseRef, text: str) -> None:
        await self.bot.send_message(
            self.chat_id, text, parse_mode=ParseMode.HTML, message_thread_id=case.thread_id
        )

    async def _tell_patient(
        self,
        patient: PatientRef,
        case: CaseRef,
        text: str,
        markup: InlineKeyboardMarkup | None = None,
    ) -> None:
        """To the patient through the durable outbox; a block is reported by notify_blocked."""
        if patient.blocked:
            await self._say_in_topic(case, message("staff.patient_blocked"))
            return
        record = {"patient_id": patient.id, "author": "bot", "text": text}
        await self.outbox.send(patient.chat_id, text_payload(text, markup, record))

    async def notify_blocked(self, patient: PatientRef) -> None:
        """The outbox found the patient has blocked the bot: staff holding the case see it."""
        case = await self.repository.open_case_for(patient.id)
        if case is not None and case.thread_id is not None:
            await self._say_in_topic(case, message("staff.patient_blocked"))

    async def forget_topics(self, thread_ids: Sequence[int]) -> None:
        """Erasure: the topics of the erased patient's cases go too."""
        for thread_id in thread_ids:
            with contextlib.suppress(TelegramError):
                await self.bot.delete_forum_topic(self.chat_id, thread_id)

    # -- the gateway's side ------------------------------------------------------------

    async def holds(self, patient: PatientRef) -> bool:
        """Whether a staff member holds this patient's case (then the bot stays silent)."""
        return self.holds_case(await self.repository.open_case_for(patient.id))

    def holds_case(self, case: CaseRef | None) -> bool:
        """Whether a staff member holds this (open) case."""
        return case is not None and case.status == "with_staff"

    async def relay_from_patient(self, patient: PatientRef, incoming: Message) -> None:
        """Copy the patient's message (text or media) into the case topic."""
        case = await self.repository.open_case_for(patient.id)
        if case is None or case.thread_id is None:
            return
        copy = await self.bot.copy_message(
            self.chat_id, incoming.chat_id, incoming.message_id, message_thread_id=case.thread_id
        )
        await self.repository.link_relay(
            incoming.chat_id, incoming.message_id, self.chat_id, copy.message_id
        )

    async def relay_patient_edit(self, patient: PatientRef, edited: Message) -> None:
        """Show staff the new version of a message the patient edited."""
        case = await self.repository.open_case_for(patient.id)
        if case is None or case.thread_id is None:
            return
        text = escape(edited.text or edited.caption or "")
        await self._say_in_topic(case, message("staff.patient_edited", text=text))

    async def alert_emergency(self, patient: PatientRef) -> None:
        """A red flag while a person holds the case: tell the holder in the topic at once."""
        case = await self.repository.open_case_for(patient.id)
        if case is None or case.thread_id is None:
            return
        holder = await self._holder_name(case) or ""
        await self._say_in_topic(
            case, message("staff.emergency_alert", holder=escape(holder), reference=case.reference)
        )

    # -- staff actions -----------------------------------------------------------------

    async def claim_case(self, case: CaseRef, user: User) -> Outcome:
        """First press wins; everyone else learns who holds the case."""
        staff = await self.staff_member(user)
        result = await self.repository.claim_case(case.id, staff.id)
        case = result.case
        if not result.won:
            holder = await self._holder_name(case) or "?"
            return Outcome(
                False, message("staff.already_held", reference=case.reference, holder=holder)
            )
        patient = await self._patient(case)
        await self.refresh_card(case, patient)
        await self._say_in_topic(
            case,
            message("staff.claimed", holder=escape(staff.display_name), reference=case.reference),
        )
        if patient is not None:
            await self._tell_patient(
                patient, case, message("patient_staff.joined", holder=escape(staff.display_name))
            )
        return Outcome(
            True, message("staff.claimed", holder=staff.display_name, reference=case.reference)
        )

    async def _held_by(self, case: CaseRef, staff: StaffRef) -> str | None:
        """None when this staff member holds the case, else why they may not act on it."""
        if case.holder_staff_id is None:
            return message("staff.not_held", reference=case.reference)
        if case.holder_staff_id != staff.id:
            holder = await self._holder_name(case) or "?"
            return message("staff.not_holder", reference=case.reference, holder=holder)
        return None

    async def release(self, case: CaseRef, user: User) -> Outcome:
        """Hand the patient back to the bot."""
        staff = await self.staff_member(user)
        refusal = await self._held_by(case, staff)
        if refusal:
            return Outcome(False, refusal)
        case = await self.repository.release_case(case.id, staff.id)
        patient = await self._patient(case)
        await self.refresh_card(case, patient)
        if patient is not None:
            await self._tell_patient(patient, case, message("patient_staff.released"))
        text = message(
            "staff.released", holder=escape(staff.display_name), reference=case.reference
        )
        await self._say_in_topic(case, text)
        return Outcome(True, text)

    async def close(self, case: CaseRef, user: User) -> Outcome:
        """End the case; the patient is told and asked for a rating."""
        staff = await self.staff_member(user)
        if case.holder_staff_id not in (None, staff.id):
            return Outcome(False, await self._held_by(case, staff) or "")
        case = await self.repository.close_case(case.id, staff.id)
        patient = await self._patient(case)
        await self.refresh_card(case, patient)
        if patient is not None:
            await self._tell_patient(
                patient, case, message("patient_staff.closed", reference=case.reference)
            )
            stars = [
                InlineKeyboardButton(str(n), callback_data=f"gw:rate:{case.id}:{n}")
                for n in range(1, 6)
            ]
            await self._tell_patient(
                patient, case, message("rating_prompt"), InlineKeyboardMarkup([stars])
            )
        text = message("staff.closed", holder=escape(staff.display_name), reference=case.reference)
        await self._say_in_topic(case, text)
        try:
            await self.bot.close_forum_topic(self.chat_id, case.thread_id)  # type: ignore[arg-type]
        except TelegramError:
            pass
        return Outcome(True, text)

    async def relay_from_staff(self, case: CaseRef, user: User, incoming: Message) -> str | None:
        """The holder's message goes to the patient under their name; others are refused."""
        staff = await self.staff_member(user)
        refusal = await self._held_by(case, staff)
        if refusal:
            return refusal
        patient = await self._patient(case)
        if patient is None:
            return message("staff.no_case_here")
        prefix = message("patient_staff.staff_prefix", holder=escape(staff.display_name))
        if patient.blocked:
            return message("staff.patient_blocked")
        record = {
            "patient_id": patient.id,
            "author": "staff",
            "text": incoming.text or incoming.caption,
            "media_type": None if incoming.text is not None else _media_kind(incoming),
            "staff_member_id": staff.id,
            "relayed_chat_id": self.chat_id,
            "relayed_message_id": incoming.message_id,
        }
        if incoming.text is not None:
            payload = text_payload(f"{prefix}\n{escape(incoming.text)}", None, record)
        else:
            caption = f"{prefix}\n{escape(incoming.caption or '')}".strip()
            payload = copy_payload(self.chat_id, incoming.message_id, caption, record)
        await self.outbox.send(patient.chat_id, payload)
        return None

    async def relay_staff_edit(self, user: User, edited: Message) -> str | None:
        """A staff edit of a relayed text edits the patient's copy too."""
        row = await self.repository.find_by_relayed(edited.message_id, self.chat_id)
        if row is None or edited.text is None:
            return message("staff.edit_relay_failed") if row is not None else None
        staff = await self.staff_member(user)
        prefix = message("patient_staff.staff_prefix", holder=escape(staff.display_name))
        try:
            await self.bot.edit_message_text(
                f"{prefix}\n{escape(edited.text)}",
                chat_id=row.chat_id,
                message_id=row.telegram_message_id,
                parse_mode=ParseMode.HTML,
            )
        except TelegramError:
            return message("staff.edit_relay_failed")
        await self.repository.edit_message_text(
            row.chat_id, row.telegram_message_id or 0, edited.text
        )
        return None

    async def queue_text(self, user: User) -> str:
        """/queue: waiting cases, urgent first, then oldest."""
        cases = await self.repository.queue()
        names: dict[int, str] = {}
        for case in cases:
            patient = await self._patient(case)
            names[case.id] = patient.display_name if patient else "?"
        await self.repository.audit(actor_type="staff", actor_id=str(user.id), action="read_queue")
        return render_queue(cases, names, datetime.now(timezone.utc))

    # -- waiting too long --------------------------------------------------------------

    async def renotify_once(self) -> int:
        """Remind staff of cases waiting too long, and tell those patients honestly."""
        overdue = await self.repository.cases_waiting_longer_than(self.renotify_seconds)
        for case in overdue:
            since = case.queued_at or case.opened_at
            minutes = int((datetime.now(timezone.utc) - since).total_seconds() // 60)
            if case.thread_id is not None:
                await self._say_in_topic(
                    case, message("staff.still_waiting", reference=case.reference, minutes=minutes)
                )
            patient = await self._patient(case)
            if patient is not None and not patient.blocked:
                await self._tell_patient(
                    patient, case, message("patient_staff.waiting", reference=case.reference)
                )
            await self.repository.mark_renotified(case.id)
        return len(overdue)

    async def _renotify_forever(self) -> None:
        interval = max(1.0, min(self.renotify_seconds / 4, 30.0))
        while True:
            await asyncio.sleep(interval)
            try:
                await self.renotify_once()
            except Exception as error:  # the reminder loop must outlive a passing failure
                log.error("queue reminder failed", extra=failure_fields(error))

    def start_reminders(self) -> None:
        if self._renotifier is None:
            self._renotifier = asyncio.create_task(self._renotify_forever())

    async def stop_reminders(self) -> None:
        if self._renotifier is not None:
            self._renotifier.cancel()
            try:
                await self._renotifier
            except asyncio.CancelledError:
                pass
            self._renotifier = None


def _media_kind(incoming: Message) -> str:
    for kind in ("photo", "document", "voice", "video", "sticker", "audio", "animation"):
        if getattr(incoming, kind):
            return kind
    return "other"
