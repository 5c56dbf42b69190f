"""One case from start to end, and its consent receipt to download."""

from __future__ import annotations

import asyncio
import html
import logging
import re
from collections.abc import Mapping, Sequence
from concurrent.futures.process import BrokenProcessPool
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from markupsafe import Markup
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from bot.outbox import TaskInterrupted
from bot.render import to_html
from console import queries
from console.auth import template_context
from console.context import context_of
from console.pages.views import (
    ERASED_NAME,
    audit_case,
    case_id_of,
    case_view,
    iso,
    not_found,
    reference_of,
    time_text,
)
from console.templating import templates
from staff.card import language_label
from storage.timeutil import utcnow
from translation.choice import speaks

log = logging.getLogger(__name__)

CRITERIA_PATH = Path(__file__).resolve().parents[2] / "content" / "criteria.yml"

AUTHOR_LABELS = {"patient": "Patient", "bot": "Bot", "staff": "Staff", "note": "Staff note"}
ACTION_LABELS = {
    "case.claim": "Took over the case",
    "case.release": "Handed the case back to the bot",
    "case.close": "Closed the case",
    "console_view_case": "Viewed the case in the console",
    "console_download_receipt": "Downloaded the consent receipt",
}
DECISION_LABELS = {"agreed": "Agreed", "refused": "Did not agree", "withdrawn": "Withdrawn"}
# media_type values that mark how a text arrived rather than an attachment.
TEXT_KINDS = {"edit": "edited", "button": "button", "refused_button": "stale button"}


@lru_cache(maxsize=1)
def criteria_wording() -> dict[str, str]:
    """Criterion id -> the client's wording (content/criteria.yml `seed`)."""
    data = yaml.safe_load(CRITERIA_PATH.read_text(encoding="utf-8"))
    return {str(item["id"]): str(item["seed"]) for item in data["criteria"]}


# The bot's own replies carry the formatting they were sent with: Rasa's **bold** and _italic_,
# or the few HTML tags of content/messages.yml. Those tags, exactly and without attributes,
# are shown as formatting; everything else stays escaped text.
_SIMPLE_TAG = re.compile(r"&lt;(/?)(b|i|u|em|strong|code)&gt;")


def bot_text_html(text: str) -> str:
    """A bot reply as the patient saw it: bold and italic shown, nothing else interpreted."""
    return _SIMPLE_TAG.sub(r"<\1\2>", to_html(text))


def transcript_html(rows: Sequence[Row], patient_name: str) -> Markup:
    """The transcript's list items, every value escaped here.

    Built in Python rather than in a Jinja2 loop: with 2,000 messages the loop's ten
    thousand autoescape calls and generator hops took most of the page's time (about
    150 ms of 200); html.escape on each value keeps typed HTML just as inert.
    """
    esc = html.escape
    name = esc(patient_name)
    items = []
    before = False
    for index, row in enumerate(rows):
        author = row.author
        staff_name = esc(row.staff_name or "Staff")
        if author == "patient":
            head = f"<strong>{name}</strong>"
        elif author == "note":
            head = f'<strong class="label">Staff note</strong> · {staff_name}'
        elif author == "staff":
            head = f'<strong>{staff_name}</strong> <span class="muted">(Staff)</span>'
        else:
            head = f"<strong>{esc(AUTHOR_LABELS.get(author, author))}</strong>"
        is_before = row.case_id is None
        if index == 0 and is_before:
            items.append('<li class="marker">Before the case opened</li>')
        elif before and not is_before:
            items.append('<li class="marker">Case opened</li>')
        before = is_before
        kind = row.media_type
        tag = f' · <span class="tag">{TEXT_KINDS[kind]}</span>' if kind in TEXT_KINDS else ""
        # An attachment is shown by its kind only: the file never reaches the page.
        media = f'<p class="media">[{esc(kind)}]</p>' if kind and kind not in TEXT_KINDS else ""
        if row.text:
            shown = bot_text_html(row.text) if author == "bot" else esc(row.text)
            text = f'<p class="text">{shown}</p>'
        else:
            text = "" if media else '<p class="text muted">(no text)</p>'
        stamp = row.created_at.isoformat()
        items.append(
            f'<li class="msg {esc(author)}"><p class="meta">{head} · '
            f'<time datetime="{stamp}">{stamp[:10]} {stamp[11:16]}</time>{tag}</p>'
            f"{media}{text}</li>"
        )
    return Markup("\n".join(items))


# Shown on their own (the criteria list) or through `understood`.
_LISTED_APART = frozenset({"criteria_met", "criteria_words", "body_part", "purpose"})


def _summary_items(summary: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The handoff summary as label/value pairs; the criteria are listed on their own."""
    labels = {
        "asked": "Asked",
        "understood": "Understood",
        "procedure": "Procedure",
        "language": "Language",
    }
    items = [(label, str(summary[key])) for key, label in labels.items() if summary.get(key)]
    for key, value in summary.items():
        if key not in labels and key not in _LISTED_APART and value not in (None, "", [], {}):
            items.append((key.replace("_", " ").capitalize(), str(value)))
    return items


def patient_speaks(case: Row) -> str:
    """The language the case's patient is answered in (English once erased)."""
    return speaks(case.patient_language, case.patient_language_code)


def _action_view(row: Row) -> dict[str, str]:
    """A staff action from the audit log as the case page lists it."""
    return {
        "time": time_text(row.at),
        "iso": iso(row.at),
        "who": row.actor_name
        or ("Unknown staff member" if row.actor_type == "staff" else row.actor_type),
        "what": ACTION_LABELS.get(row.action, row.action),
    }


def _consent_view(row: Row) -> dict[str, Any]:
    """A consent decision as the case page lists it (read-only evidence)."""
    return {
        "clause": row.clause_id,
        "version": row.clause_version,
        "sha256": row.text_sha256,
        "decision": DECISION_LABELS.get(row.decision, row.decision),
        "time": time_text(row.decided_at),
        "iso": iso(row.decided_at),
        "case": reference_of(row.case_id) if row.case_id is not None else "",
    }


async def _requested_case(request: Request, connection: AsyncConnection) -> Row | None:
    """The case the URL's reference names; None when it is malformed or unknown."""
    case_id = case_id_of(request.path_params["reference"])
    return None if case_id is None else await queries.case_detail(connection, case_id)


async def case_page(request: Request) -> Response:
    """One case from start to end: summary, criteria, transcript, staff actions, consent."""
    context = context_of(request)
    async with context.database.engine.connect() as connection:
        case = await _requested_case(request, connection)
        if case is None:
            return not_found(request, request.path_params["reference"])
        case_id = case.id
        messages = await queries.transcript(connection, case)
        consents = await queries.consent_records(connection, case.patient_pseudonym)
    # Audited before the audit list is read, so the list includes this very view.
    await audit_case(request, "console_view_case", case_id)
    async with context.database.engine.connect() as connection:
        actions = await queries.case_audit(connection, case_id)
    now = utcnow()
    patient_name = case.patient_name if case.patient_name is not None else ERASED_NAME
    summary = dict(case.summary or {})
    if case.patient_id is not None:
        summary["language"] = language_label(
            patient_speaks(case),
            case.patient_language_chosen_at is not None,
            summary.get("language"),
        )
    wording = criteria_wording()
    said = summary.get("criteria_words") if isinstance(summary.get("criteria_words"), dict) else {}
    view = {
        **case_view(case, now),
        "closed": time_text(case.closed_at),
        "closer": case.closer_name or "",
        "rating": case.rating,
        "erased": case.patient_id is None,
    }
    return templates.TemplateResponse(
        request,
        "case.html",
        template_context(
            request,
            case=view,
            summary=_summary_items(summary),
            criteria=[
                (criterion, wording.get(criterion, criterion), said.get(criterion) or "")
                for criterion in summary.get("criteria_met") or []
            ],
            transcript=transcript_html(messages, patient_name),
            message_count=len(messages),
            actions=[_action_view(row) for row in actions],
            consents=[_consent_view(row) for row in consents],
        ),
    )


async def receipt_pdf(request: Request) -> Response:
    """The consent receipt as the patient got it, drawn again from the stored records."""
    from storage.consent_texts import load_clauses
    from storage.receipt import build_receipt_pdf

    reference = request.path_params["reference"]
    context = context_of(request)
    async with context.database.engine.connect() as connection:
        case = await _requested_case(request, connection)
    if case is None:
        return not_found(request, reference)
    case_id = case.id
    records = await context.repository.consent_history_by_pseudonym(case.patient_pseudonym)
    name = case.patient_name if case.patient_name is not None else ERASED_NAME
    language = patient_speaks(case)
    clauses = load_clauses(language=language)
    # 40-170 ms of CPU in fpdf2: in the bot's receipt process when there is one, since a
    # thread here would still hold the GIL that patients' turns need.
    try:
        if context.render_receipt is not None:
            pdf = await context.render_receipt(reference, name, records, clauses, language)
        else:
            pdf = await asyncio.to_thread(
                build_receipt_pdf, reference, name, records, clauses, language
            )
    except (BrokenProcessPool, TaskInterrupted) as error:
        # The child died or the bot is stopping; the next render starts a new child.
        log.warning("console receipt not drawn", extra={"error_type": type(error).__name__})
        return PlainTextResponse(
            "The receipt could not be drawn just now: try again in a moment.", 503
        )
    await audit_case(request, "console_download_receipt", case_id)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="consent-receipt-{reference}.pdf"',
            "Cache-Control": "no-store",
        },
    )
