"""/withdraw: the patient takes back telehealth consent, clause by clause or all of it.

1. /withdraw lists the agreements in force, with a button per clause, "All of them" and
   "Cancel" (nothing in force: the patient is told so, and nothing is recorded).
2. A clause button asks for a confirmation of exactly those clauses at those versions.
3. "Yes, withdraw" appends a `withdrawn` record per clause still agreed at that version
   (storage.consent.withdraw: the agreement's version and text hash, the time, the
   confirmation message pressed), then the patient gets a new receipt and the staff of
   the open case are told in its topic.

Every press is checked against the stored records, not against the message: a button
pressed after the withdrawal, or on an older /withdraw message, changes nothing and says
so. A staff takeover does not stop it: it is the patient's right, the dialogue model is
not involved (the takeover's silence holds), and the holder is told in the topic.

The dialogue learns of it on the patient's next message: the gateway sends the
agreements in force with every message (`DialogueEffects.dialogue_metadata`), and the
consent form asks again what is no longer agreed before any new second-opinion handoff.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from html import escape
from typing import TYPE_CHECKING, Any

from bot.content import message, messages
from bot.dialogue import Button
from bot.logs import log_name
from bot.outbox import task_payload
from storage.consent_texts import Clause, load_clauses
from storage.refs import IncomingRecord
from translation import DEFAULT_LANGUAGE

if TYPE_CHECKING:
    from bot.gateway_ports import PatientDesk, TurnContext
    from storage.refs import ConsentRef, PatientRef

log = logging.getLogger(__name__)
PREFIX = "gw:wd"
CHOOSE = "gw:wd:"  # gw:wd:2.1 or gw:wd:1.1,2.1,… (clause number.version agreed)
CONFIRM = "gw:wdy:"  # gw:wdy:2.1,…
CANCEL = "gw:wdn"
STAFF_NOTICE_TASK = "consent_withdrawn_notice"


def is_withdrawal_button(data: str) -> bool:
    return data.startswith(PREFIX)


def encode(selection: Mapping[int, int]) -> str:
    return ",".join(f"{number}.{version}" for number, version in sorted(selection.items()))


def decode(text: str) -> dict[int, int] | None:
    """clause number → version; None when the data is not ours (forged or garbled)."""
    selection: dict[int, int] = {}
    try:
        for part in text.split(","):
            number, version = part.split(".")
            selection[int(number)] = int(version)
    except ValueError:
        return None
    return selection or None


def points(numbers: Sequence[int], lang: str = DEFAULT_LANGUAGE) -> str:
    """ "point 2", "points 2 and 4" (wording in content/messages.yml), in a language."""
    ordered = [str(number) for number in sorted(numbers)]
    if len(ordered) == 1:
        return message("withdraw.point", lang=lang, number=ordered[0])
    joined = ", ".join(ordered[:-1]) + message("withdraw.and", lang=lang) + ordered[-1]
    return message("withdraw.points", lang=lang, numbers=joined)


def _clause_title(clause: Clause, lang: str) -> str:
    titles: Mapping[str, str] = messages(lang)["withdraw"].get("titles") or {}
    return titles.get(clause.id, message("withdraw.point", lang=lang, number=clause.number))


async def _in_force(gateway: PatientDesk, patient: PatientRef) -> dict[int, tuple[Clause, int]]:
    """clause number → (clause, version agreed), for the agreements in force."""
    agreed = await gateway.repository.consent_in_force(patient.pseudonym)
    return {
        clause.number: (clause, agreed[clause.id].version)
        for clause in load_clauses()
        if clause.id in agreed
    }


async def offer(gateway: PatientDesk, patient: PatientRef) -> None:
    """/withdraw: the agreements in force, to choose from; or why there is nothing to do."""
    lang = patient.speaks
    in_force = await _in_force(gateway, patient)
    if not in_force:
        history = await gateway.repository.consent_history_by_pseudonym(patient.pseudonym)
        ever_agreed = any(record.decision == "agreed" for record in history)
        key = "withdraw.nothing_left" if ever_agreed else "withdraw.none_given"
        await gateway.say(patient, message(key, lang=lang))
        return
    lines = [
        message(
            "withdraw.point_line",
            lang=lang,
            number=number,
            title=escape(_clause_title(clause, lang)),
        )
        for number, (clause, _) in sorted(in_force.items())
    ]
    buttons = [
        Button(
            message("withdraw.clause_button", lang=lang, number=number),
            CHOOSE + encode({number: version}),
        )
        for number, (_, version) in sorted(in_force.items())
    ]
    if len(in_force) > 1:
        everything = {number: version for number, (_, version) in in_force.items()}
        buttons.append(
            Button(message("withdraw.all_button", lang=lang), CHOOSE + encode(everything))
        )
    buttons.append(Button(message("withdraw.cancel_button", lang=lang), CANCEL))
    text = message("withdraw.choose", lang=lang, points="\n".join(lines))
    await gateway.say(patient, text, buttons)


async def on_press(
    gateway: PatientDesk, user: Any, chat_id: int, data: str, turn: TurnContext
) -> None:
    """A withdrawal button: choose → confirm → withdraw; cancel; or stale."""
    record = IncomingRecord(
        text=data, chat_id=chat_id, telegram_message_id=None, media_type="button"
    )
    patient, _ = await gateway.begin_turn(user, chat_id, record)
    if data == CANCEL:
        await gateway.say(patient, message("withdraw.cancelled", lang=patient.speaks))
        return
    if data.startswith(CONFIRM):
        selection = decode(data.removeprefix(CONFIRM))
        if selection is not None:
            await _withdraw(gateway, patient, selection, turn)
            return
    elif data.startswith(CHOOSE):
        selection = decode(data.removeprefix(CHOOSE))
        if selection is not None:
            await _confirm(gateway, patient, selection)
            return
    await gateway.say(patient, message("withdraw.stale", lang=patient.speaks))


async def _still_agreed(
    gateway: PatientDesk, patient: PatientRef, selection: Mapping[int, int]
) -> dict[int, tuple[Clause, int]]:
    in_force = await _in_force(gateway, patient)
    return {
        number: in_force[number]
        for number, version in selection.items()
        if number in in_force and in_force[number][1] == version
    }


async def _confirm(gateway: PatientDesk, patient: PatientRef, selection: Mapping[int, int]) -> None:
    chosen = await _still_agreed(gateway, patient, selection)
    if not chosen:
        await gateway.say(patient, message("withdraw.stale", lang=patient.speaks))
        return
    data = CONFIRM + encode({number: version for number, (_, version) in chosen.items()})
    lang = patient.speaks
    buttons = (
        Button(message("withdraw.confirm_button", lang=lang), data),
        Button(message("withdraw.keep_button", lang=lang), CANCEL),
    )
    text = message("withdraw.confirm", lang=lang, points=points(list(chosen), lang))
    await gateway.say(patient, text, buttons)


async def _withdraw(
    gateway: PatientDesk, patient: PatientRef, selection: Mapping[int, int], turn: TurnContext
) -> None:
    by_number = {clause.number: clause for clause in load_clauses()}
    clauses = {
        by_number[number].id: version
        for number, version in selection.items()
        if number in by_number
    }
    result = await gateway.repository.withdraw_consent(
        patient_id=patient.id, clauses=clauses, answered_message_id=turn.answered_message_id
    )
    if not result.withdrawn:
        await gateway.say(patient, message("withdraw.stale", lang=patient.speaks))
        return
    numbers = _numbers(result.withdrawn, by_number.values())
    log.info(
        "consent withdrawn",
        extra={"patient": log_name(patient.pseudonym), "clauses": len(result.withdrawn)},
    )
    case_id = next((r.case_id for r in result.withdrawn if r.case_id is not None), None)
    case = await gateway.repository.get_case(case_id) if case_id is not None else None
    told = gateway.staff is not None and case is not None and case.thread_id is not None
    # The same confirmation handled again (a replayed turn, or pressed twice where its
    # buttons could not be removed): nothing new was recorded; the receipt and the staff
    # notice go again, since the first time may not have reached them.
    key = "withdraw.already_done" if result.repeated else "withdraw.done"
    text = message(key, lang=patient.speaks, points=points(numbers, patient.speaks))
    if told:
        text += " " + message("withdraw.staff_told", lang=patient.speaks)
    await gateway.say(patient, text)
    await gateway.queue_receipt(patient, case_id)
    if told:
        at = max(r.decided_at for r in result.withdrawn).astimezone(timezone.utc)
        arguments = {"case_id": case_id, "numbers": numbers, "at": at.isoformat()}
        await gateway.outbox.send(patient.chat_id, task_payload(STAFF_NOTICE_TASK, arguments))


def _numbers(records: Sequence[ConsentRef], clauses: Any) -> list[int]:
    number_of = {clause.id: clause.number for clause in clauses}
    return sorted(number_of[r.clause_id] for r in records if r.clause_id in number_of)


async def staff_notice_task(gateway: PatientDesk, arguments: Mapping[str, Any]) -> None:
    """The outbox reached a withdrawal: tell the case's staff in its topic (the holder by
    name while they hold it), and refresh the card's consent lines."""
    if gateway.staff is None:
        return
    case = await gateway.repository.get_case(int(arguments["case_id"]))
    if case is None or case.thread_id is None:
        return  # erased meanwhile
    at = datetime.fromisoformat(str(arguments["at"])).strftime("%d %b %H:%M UTC")
    values = {"reference": case.reference, "points": points(arguments["numbers"]), "time": at}
    holder = None
    if case.status == "with_staff" and case.holder_staff_id is not None:
        holder = await gateway.repository.get_staff(case.holder_staff_id)
    if holder is not None:
        text = message("staff.consent_withdrawn_held", holder=escape(holder.display_name), **values)
    else:
        text = message("staff.consent_withdrawn", **values)
    await gateway.staff.notice_in_topic(case, text)
