"""The case card staff see in each case's topic, and the queue listing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from html import escape

from bot.content import message
from bot.render import transcript_html
from storage import CaseRef, ConsentRef, MessageRef


def reason_label(case: CaseRef) -> str:
    labels: Mapping[str, str] = {
        key: message(f"staff.reasons.{key}")
        for key in (
            "second_opinion",
            "human_request",
            "unknown_procedure",
            "consent_refused",
            "emergency",
        )
    }
    return labels.get(case.reason or "", case.reason or message("staff.none"))


def topic_name(case: CaseRef, display_name: str) -> str:
    """Telegram caps topic names at 128 characters."""
    name = message(
        "staff.topic_name", reference=case.reference, name=display_name, reason=reason_label(case)
    )
    return name[:128]


def _time(moment: datetime | None) -> str:
    if moment is None:
        return message("staff.none")
    return moment.astimezone(timezone.utc).strftime("%d %b %H:%M UTC")


def status_line(case: CaseRef, holder_name: str | None) -> str:
    if case.status == "with_staff":
        return message("staff.status.with_staff", holder=escape(holder_name or "?"))
    return message(f"staff.status.{case.status}")


def language_label(language: str, chosen: bool, guessed: object = None) -> str:
    """ "Hindi (हिन्दी), chosen by the patient": the language the patient is answered in."""
    parts = [message(f"staff.languages.{language}")]
    if chosen:
        parts.append(message("staff.language_chosen"))
    if guessed == "hinglish":
        parts.append(message("staff.language_hinglish"))
    return ", ".join(parts)


def render_card(
    case: CaseRef,
    display_name: str,
    consent: Mapping[str, ConsentRef],
    last_messages: Sequence[MessageRef],
    holder_name: str | None,
    language: str = "",
) -> str:
    """HTML card: everything a staff member needs to pick the case up."""
    summary = case.summary or {}
    none = message("staff.none")
    criteria = ", ".join(_criteria(summary)) or none
    consent_lines = [
        message(
            "staff.consent_line",
            clause=escape(record.clause_id),
            decision=escape(record.decision),
            time=_time(record.decided_at),
        )
        for record in sorted(consent.values(), key=lambda r: r.clause_id)
    ]
    message_lines = [
        message(
            "staff.message_line",
            time=m.created_at.astimezone(timezone.utc).strftime("%H:%M"),
            author=m.author,
            text=_message_text(m),
        )
        for m in last_messages
    ]
    return message(
        "staff.card",
        reference=case.reference,
        urgency_badge=message("staff.urgent_badge") if case.urgency == "urgent" else "",
        name=escape(display_name),
        language=escape(language or str(summary.get("language") or none)),
        reason=escape(reason_label(case)),
        asked=escape(str(summary.get("asked") or none)[:300]),
        understood=escape(str(summary.get("understood") or none)),
        criteria=criteria,
        consent="\n".join(consent_lines) or none,
        last_messages="\n".join(message_lines) or none,
        status=status_line(case, holder_name),
    )


def _message_text(m: MessageRef, limit: int = 200) -> str:
    """A transcript line's text for the HTML card: the bot's replies with the bold and italic
    the patient saw (not Rasa's literal **asterisks**), everyone else's escaped as typed."""
    if not m.text:
        return escape(f"[{m.media_type or 'message'}]")
    if m.author == "bot":
        return transcript_html(m.text, limit)
    return escape(m.text[:limit])


def _criteria(summary: Mapping[str, object]) -> list[str]:
    """Each criterion met, escaped, with the patient's own words for it when kept."""
    words = summary.get("criteria_words")
    said = words if isinstance(words, Mapping) else {}
    shown = []
    for criterion in summary.get("criteria_met") or []:  # type: ignore[attr-defined]
        label = escape(str(criterion).replace("_", " "))
        if said.get(criterion):
            label = message(
                "staff.criterion_words", criterion=label, words=escape(str(said[criterion])[:120])
            )
        shown.append(label)
    return shown


def render_queue(cases: Sequence[CaseRef], names: Mapping[int, str], now: datetime) -> str:
    """Waiting cases, in the order the repository gives (urgent first, then oldest)."""
    if not cases:
        return message("staff.queue_empty")
    lines = [message("staff.queue_header")]
    for case in cases:
        since = case.queued_at or case.opened_at
        lines.append(
            message(
                "staff.queue_line",
                badge="🚨 " if case.urgency == "urgent" else "",
                reference=case.reference,
                name=escape(names.get(case.id, "?")),
                reason=escape(reason_label(case)),
                minutes=int((now - since).total_seconds() // 60),
            )
        )
    return "\n".join(lines)
