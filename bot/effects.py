"""What reaches the patient and what the dialogue's replies cause: text through the outbox,
consent records, cases handed to staff, and the follow-up work the outbox runs after the
replies (the staff announcement, the consent receipt)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from html import escape
from typing import TYPE_CHECKING, Any

from bot import withdrawal
from bot.content import message, messages
from bot.dialogue import BotReply
from bot.gateway_ports import StaffDesk, TextFormat, TurnContext
from bot.logs import log_name
from bot.outbox import Outbox, document_payload, task_payload, text_payload
from bot.receipts import ReceiptRenderer
from bot.render import keyboard, split_text, to_html
from translation import DEFAULT_LANGUAGE

if TYPE_CHECKING:
    from storage.repository import CaseRef, PatientRef, Repository

log = logging.getLogger(__name__)
# Outbox tasks: slow work done after the replies queued before it have gone out.
ANNOUNCE_TASK = "announce_case"
RECEIPT_TASK = "consent_receipt"


class DialogueEffects:
    """The part of the gateway that sends text and acts on the dialogue's custom payloads."""

    repository: Repository
    outbox: Outbox
    staff: StaffDesk | None
    receipts: ReceiptRenderer

    async def say(
        self,
        patient: PatientRef,
        text: str,
        buttons: Sequence[Any] = (),
        *,
        fmt: TextFormat = "html",
        keep: bool = True,
    ) -> None:
        """Send text (split to Telegram's size) with buttons on the last part, and record it.

        `fmt`: "html" for our own trusted content, "markdown" for Rasa's responses (escaped,
        **bold** kept), "plain" for text that may hold anything (escaped). `keep=False` for
        what must leave no trace once delivered (the confirmation that the patient's data was
        erased): no transcript row, and its outbox row is deleted when sent (`forget`).
        """
        parts = split_text(text) if text else [""]
        markup = keyboard(tuple(buttons)) if buttons else None
        for index, part in enumerate(parts):
            is_last = index == len(parts) - 1
            rendered = (
                part if fmt == "html" else to_html(part) if fmt == "markdown" else escape(part)
            )
            if not rendered.strip():
                continue
            record = {"patient_id": patient.id, "author": "bot", "text": part} if keep else None
            payload = text_payload(rendered, markup if is_last else None, record)
            if not keep:
                payload["forget"] = True
            await self.outbox.send(patient.chat_id, payload)

    def register_tasks(self) -> None:
        """The outbox runs these when delivery reaches them."""
        self.outbox.register_task(ANNOUNCE_TASK, self.announce_task)
        self.outbox.register_task(RECEIPT_TASK, self.receipt_task)
        self.outbox.register_task(withdrawal.STAFF_NOTICE_TASK, self.withdrawal_notice_task)

    async def dialogue_metadata(self, patient: PatientRef, turn: TurnContext) -> dict[str, Any]:
        """What Rasa gets with the message: where it came from, and the consent agreements
        in force (clause id → version agreed), so the consent form asks only what is not
        agreed at its current version and learns of a /withdraw on the next message."""
        in_force = await self.repository.consent_in_force(patient.pseudonym)
        agreed = {clause_id: record.version for clause_id, record in in_force.items()}
        languages = {clause_id: record.language for clause_id, record in in_force.items()}
        return {
            **turn.metadata(),
            "language": patient.speaks,
            "consent": {"agreed": agreed, "languages": languages},
        }

    async def deliver(
        self, patient: PatientRef, replies: Sequence[BotReply], turn: TurnContext
    ) -> None:
        """Send texts in order and act on custom payloads; the receipt waits for the case."""
        consent_completed = False
        case: CaseRef | None = None
        for reply in replies:
            if reply.custom is not None:
                kind = reply.custom.get("type")
                if kind == "consent_decision":
                    await self.record_consent(patient, reply.custom, turn)
                elif kind == "consent_completed":
                    consent_completed = True
                elif kind == "handoff":
                    case = await self.hand_off(patient, reply.custom)
                else:
                    log.warning("unknown custom payload ignored", extra={"payload_type": str(kind)})
            if reply.text or reply.buttons:
                await self.say(patient, reply.text or "", reply.buttons, fmt="markdown")
        if consent_completed:
            await self.queue_receipt(patient, case.id if case else None)

    async def queue_receipt(self, patient: PatientRef, case_id: int | None) -> None:
        """The consent receipt, rendered when delivery reaches it (after the replies)."""
        arguments = {"patient_id": patient.id, "case_id": case_id}
        await self.outbox.send(patient.chat_id, task_payload(RECEIPT_TASK, arguments))

    async def record_consent(
        self, patient: PatientRef, payload: Mapping[str, Any], turn: TurnContext
    ) -> None:
        """Append the decision as the action reported it, tied to the Telegram message answered."""
        await self.repository.record_consent(
            patient_id=patient.id,
            clause_id=str(payload["clause_id"]),
            version=int(payload["version"]),
            text_sha256=str(payload["text_sha256"]),
            language=str(payload.get("language") or DEFAULT_LANGUAGE),
            decision=str(payload["decision"]),
            answered_message_id=turn.answered_message_id,
            in_open_case=True,
        )
        log.info(
            "consent decision recorded",
            extra={
                "patient": log_name(patient.pseudonym),
                "clause": payload["clause_id"],
                "decision": payload["decision"],
            },
        )

    async def hand_off(self, patient: PatientRef, payload: Mapping[str, Any]) -> CaseRef:
        """Open or update the case, show it to staff, and tell the patient what happens next."""
        reason = str(payload.get("reason") or "human_request")
        urgency = "urgent" if payload.get("urgency") == "urgent" else "normal"
        summary = dict(payload.get("summary") or {})
        case = await self.repository.open_case(
            patient_id=patient.id, reason=reason, urgency=urgency, summary=summary
        )
        log.info(
            "case handed over",
            extra={
                "patient": log_name(patient.pseudonym),
                "case": case.reference,
                "urgency": urgency,
            },
        )
        template = (
            f"handoff.{reason}" if reason in message_keys("handoff") else "handoff.human_request"
        )
        minutes = message("handoff_minutes")
        text = message(template, lang=patient.speaks, reference=case.reference, minutes=minutes)
        await self.say(patient, text)
        if self.staff is not None:
            arguments = {"patient_id": patient.id, "case_id": case.id}
            await self.outbox.send(patient.chat_id, task_payload(ANNOUNCE_TASK, arguments))
        return case

    async def announce_task(self, arguments: Mapping[str, Any]) -> None:
        """The outbox reached a handed-over case: hand it to its staff group's sender.

        Only recorded here (staff/topics.py announce_case): the group's budget may keep the
        announcement waiting, and the patient's next replies and receipt must not wait with it.
        """
        patient = await self.repository.get_patient_by_id(int(arguments["patient_id"]))
        case = await self.repository.get_case(int(arguments["case_id"]))
        if patient is None or case is None or self.staff is None:
            return  # erased meanwhile: nothing left to announce
        await self.staff.announce_case(case, patient)

    async def withdrawal_notice_task(self, arguments: Mapping[str, Any]) -> None:
        """The outbox reached a consent withdrawal: tell the case's staff in its topic."""
        await withdrawal.staff_notice_task(self, arguments)  # type: ignore[arg-type]

    async def receipt_task(self, arguments: Mapping[str, Any]) -> None:
        """The outbox reached a completed consent: render and queue the receipt."""
        patient = await self.repository.get_patient_by_id(int(arguments["patient_id"]))
        if patient is None:
            return
        case_id = arguments.get("case_id")
        case = await self.repository.get_case(int(case_id)) if case_id is not None else None
        await self.send_receipt(patient, case)

    async def send_receipt(self, patient: PatientRef, case: CaseRef | None) -> None:
        """The consent receipt, as a message and as a PDF document."""
        from storage.consent_texts import load_clauses
        from storage.receipt import receipt_text

        if case is None:
            case = await self.repository.open_case_for(patient.id)
        reference = case.reference if case else "-"
        records = await self.repository.consent_history(patient.id)
        language = patient.speaks
        clauses = load_clauses(language=language)
        text = receipt_text(reference, records, clauses, language)
        await self.say(patient, text, fmt="plain")
        pdf = await self.receipts.render(
            reference, patient.display_name, records, clauses, language
        )
        caption = message("receipt_caption", lang=language, reference=reference)
        await self.send_document(patient, pdf, f"consent-receipt-{reference}.pdf", caption)

    async def send_document(
        self, patient: PatientRef, content: bytes, filename: str, caption: str
    ) -> None:
        """A file for the patient, through the outbox like every other message."""
        record = {"patient_id": patient.id, "author": "bot", "text": None, "media_type": "document"}
        await self.outbox.send(
            patient.chat_id, document_payload(content, filename, caption, record)
        )


def message_keys(section: str) -> set[str]:
    return set(messages()[section])
