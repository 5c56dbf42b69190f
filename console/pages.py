"""The console's pages: the case list, one case with its receipt, and the live queue.

Patients are named by case number and display name only: no page is given a Telegram id
(the queries do not even select one). Every case view and receipt download is audited.
"""

from __future__ import annotations

import asyncio
import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import yaml
from markupsafe import Markup
from sqlalchemy.engine import Row
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from console import queries
from console.app import templates
from console.auth import staff_of, template_context
from console.context import context_of
from storage.models import CASE_STATUSES, URGENCIES
from storage.refs import CASE_REFERENCE_OFFSET
from storage.timeutil import utcnow

PER_PAGE = 50
REFRESH_SECONDS = 30
# Beyond this a page number or case number cannot be real; refusing it early keeps an
# absurd value from overflowing the database's integer types.
MAX_PAGE = 100_000
MAX_CASE_ID = 2**31 - 1
CRITERIA_PATH = Path(__file__).resolve().parent.parent / "content" / "criteria.yml"

STATUS_LABELS = {
    "bot": "With the bot",
    "queued": "Waiting",
    "with_staff": "With staff",
    "closed": "Closed",
}
REASON_LABELS = {
    "second_opinion": "Second opinion",
    "human_request": "Asked for a person",
    "unknown_procedure": "Unknown procedure",
    "consent_refused": "Consent refused",
    "emergency": "Emergency",
}
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
ERASED_NAME = "(erased)"


# -- formatting -------------------------------------------------------------------------


def _time(value: datetime | None) -> str:
    """A UTC time as the pages show it, to the minute."""
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else ""


def _iso(value: datetime | None) -> str:
    """The machine-readable form, for <time datetime>."""
    return value.isoformat() if value is not None else ""


def duration(seconds: float) -> str:
    """A wait as people say it: "45 s", "12 min", "3 h 5 min", "2 d 4 h"."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def reference_of(case_id: int) -> str:
    """The case number people see (storage.refs.CaseRef.reference)."""
    return str(case_id + CASE_REFERENCE_OFFSET)


def _waiting(row: Row, now: datetime) -> str:
    """How long the patient waited for staff: still waiting, or until the claim."""
    if row.queued_at is None:
        return ""
    if row.status == "queued":
        return duration((now - row.queued_at).total_seconds())
    if row.claimed_at is not None and row.claimed_at >= row.queued_at:
        return duration((row.claimed_at - row.queued_at).total_seconds())
    return ""


def _case_view(row: Row, now: datetime) -> dict[str, Any]:
    """A case row as the list, the queue and the case page show it."""
    return {
        "reference": reference_of(row.id),
        "opened": _time(row.opened_at),
        "opened_iso": _iso(row.opened_at),
        "status": row.status,
        "status_label": STATUS_LABELS.get(row.status, row.status),
        "urgent": row.urgency == "urgent",
        "reason": REASON_LABELS.get(row.reason or "", row.reason or ""),
        "holder": row.holder_name or "",
        "waiting": _waiting(row, now),
        "patient": row.patient_name if row.patient_name is not None else ERASED_NAME,
    }


@lru_cache(maxsize=1)
def criteria_wording() -> dict[str, str]:
    """Criterion id -> the client's wording (content/criteria.yml `seed`)."""
    data = yaml.safe_load(CRITERIA_PATH.read_text(encoding="utf-8"))
    return {str(item["id"]): str(item["seed"]) for item in data["criteria"]}


# -- audit ------------------------------------------------------------------------------


async def _audit(request: Request, action: str, case_id: int) -> None:
    """An audit event by the signed-in staff member on the case (ids only, no names)."""
    await context_of(request).repository.audit(
        actor_type="staff",
        actor_id=str(staff_of(request).staff_id),
        action=action,
        target=queries.case_target(case_id),
    )


# -- the case list ----------------------------------------------------------------------


@dataclass
class ParsedFilters:
    """The case list's query string, validated; `errors` say what could not be used."""

    filters: queries.CaseFilters
    page: int
    # What the form shows again, as typed (autoescaped by Jinja2 when rendered).
    form: dict[str, str]
    errors: list[str] = field(default_factory=list)
    # The form fields whose value could not be used (marked aria-invalid on the page).
    invalid: set[str] = field(default_factory=set)
    # A case number no case can have: nothing matches, and the database is not asked.
    impossible: bool = False


def parse_filters(params: Mapping[str, str], staff_ids: set[int]) -> ParsedFilters:
    """Read the case list's filters; a bad value becomes a message, never an exception."""
    form = {
        key: params.get(key, "").strip()
        for key in ("case", "status", "urgency", "staff", "from", "to", "page")
    }
    errors: list[str] = []
    invalid: set[str] = set()

    def refuse(key: str, message: str) -> None:
        errors.append(message)
        invalid.add(key)

    impossible = False
    case_id = None
    case_text = form["case"].lstrip("#").strip()
    if case_text:
        if not _is_number(case_text):
            refuse("case", "The case number must be a number, for example 1042.")
        elif len(case_text) > 12 or not 0 < int(case_text) - CASE_REFERENCE_OFFSET <= MAX_CASE_ID:
            impossible = True
        else:
            case_id = int(case_text) - CASE_REFERENCE_OFFSET

    status = form["status"] or None
    if status is not None and status not in CASE_STATUSES:
        refuse("status", "Unknown status: choose one from the list.")
        status = None
    urgency = form["urgency"] or None
    if urgency is not None and urgency not in URGENCIES:
        refuse("urgency", "Unknown urgency: choose normal or urgent.")
        urgency = None

    staff_member_id = None
    if form["staff"]:
        if _is_number(form["staff"]) and int(form["staff"]) in staff_ids:
            staff_member_id = int(form["staff"])
        else:
            refuse("staff", "Unknown staff member: choose one from the list.")

    dates: dict[str, date | None] = {}
    for key, label in (("from", "Opened from"), ("to", "Opened to")):
        dates[key] = None
        if form[key]:
            try:
                dates[key] = date.fromisoformat(form[key])
            except ValueError:
                refuse(key, f"{label} must be a date like 2026-12-01.")
    opened_from, opened_to = dates["from"], dates["to"]
    if opened_from and opened_to and opened_from > opened_to:
        refuse("from", "Opened from must not be after Opened to.")

    page = 1
    if form["page"]:
        if _is_number(form["page"]) and 1 <= int(form["page"]) <= MAX_PAGE:
            page = int(form["page"])
        else:
            refuse("page", "The page must be a number from 1.")

    filters = queries.CaseFilters(
        status=status,
        urgency=urgency,
        staff_member_id=staff_member_id,
        opened_from=opened_from,
        opened_to=opened_to,
        case_id=case_id,
    )
    return ParsedFilters(filters, page, form, errors, invalid, impossible)


def _is_number(text: str) -> bool:
    """ASCII digits only: str.isdigit alone accepts other scripts' digits and superscripts."""
    return text.isascii() and text.isdigit()


def _page_link(form: Mapping[str, str], page: int) -> str:
    """Another page of the same filtered list."""
    kept = {key: value for key, value in form.items() if value and key != "page"}
    return "/cases?" + urlencode({**kept, "page": page})


async def home(request: Request) -> Response:
    """The console opens on the case list."""
    return RedirectResponse("/cases", status_code=302)


async def case_list(request: Request) -> Response:
    """The cases, filtered and paged; invalid filters are explained and list nothing."""
    context = context_of(request)
    async with context.database.engine.connect() as connection:
        staff_rows = await queries.staff_members(connection)
        parsed = parse_filters(request.query_params, {row.id for row in staff_rows})
        rows: Sequence[Row] = ()
        total = 0
        if not parsed.errors and not parsed.impossible:
            rows, total = await queries.list_cases(
                connection,
                parsed.filters,
                offset=(parsed.page - 1) * PER_PAGE,
                limit=PER_PAGE,
            )
    now = utcnow()
    pages = max(1, math.ceil(total / PER_PAGE))
    return templates.TemplateResponse(
        request,
        "cases.html",
        template_context(
            request,
            cases=[_case_view(row, now) for row in rows],
            total=total,
            page=parsed.page,
            pages=pages,
            previous_link=_page_link(parsed.form, parsed.page - 1) if parsed.page > 1 else None,
            next_link=_page_link(parsed.form, parsed.page + 1) if parsed.page < pages else None,
            form=parsed.form,
            errors=parsed.errors,
            invalid=parsed.invalid,
            statuses=[(value, STATUS_LABELS[value]) for value in CASE_STATUSES],
            urgencies=list(URGENCIES),
            staff_members=[(str(row.id), row.display_name) for row in staff_rows],
        ),
        status_code=400 if parsed.errors else 200,
    )


# -- one case ---------------------------------------------------------------------------


def _case_id_of(reference: str) -> int | None:
    """The case id of a reference ("1042" -> 42), or None when it cannot be one."""
    if not _is_number(reference) or len(reference) > 12:
        return None
    case_id = int(reference) - CASE_REFERENCE_OFFSET
    return case_id if 0 < case_id <= MAX_CASE_ID else None


def not_found(request: Request, reference: str) -> Response:
    """The 404 page for a case number no case has."""
    return templates.TemplateResponse(
        request,
        "not_found.html",
        template_context(request, reference=reference),
        status_code=404,
    )


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
            text = f'<p class="text">{esc(row.text)}</p>'
        else:
            text = "" if media else '<p class="text muted">(no text)</p>'
        iso = row.created_at.isoformat()
        items.append(
            f'<li class="msg {esc(author)}"><p class="meta">{head} · '
            f'<time datetime="{iso}">{iso[:10]} {iso[11:16]}</time>{tag}</p>{media}{text}</li>'
        )
    return Markup("\n".join(items))


def _summary_items(summary: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The handoff summary as label/value pairs; the criteria are listed on their own."""
    labels = {"asked": "Asked", "procedure": "Procedure", "language": "Language"}
    items = [(label, str(summary[key])) for key, label in labels.items() if summary.get(key)]
    for key, value in summary.items():
        if key not in labels and key != "criteria_met" and value not in (None, "", [], {}):
            items.append((key.replace("_", " ").capitalize(), str(value)))
    return items


async def case_page(request: Request) -> Response:
    """One case from start to end: summary, criteria, transcript, staff actions, consent."""
    reference = request.path_params["reference"]
    case_id = _case_id_of(reference)
    if case_id is None:
        return not_found(request, reference)
    context = context_of(request)
    async with context.database.engine.connect() as connection:
        case = await queries.case_detail(connection, case_id)
        if case is None:
            return not_found(request, reference)
        messages = await queries.transcript(connection, case)
        consents = await queries.consent_records(connection, case.patient_pseudonym)
    # Audited before the audit list is read, so the list includes this very view.
    await _audit(request, "console_view_case", case_id)
    async with context.database.engine.connect() as connection:
        actions = await queries.case_audit(connection, case_id)
    now = utcnow()
    patient_name = case.patient_name if case.patient_name is not None else ERASED_NAME
    summary = dict(case.summary or {})
    wording = criteria_wording()
    view = {
        **_case_view(case, now),
        "closed": _time(case.closed_at),
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
                (criterion, wording.get(criterion, criterion))
                for criterion in summary.get("criteria_met") or []
            ],
            transcript=transcript_html(messages, patient_name),
            message_count=len(messages),
            actions=[
                {
                    "time": _time(row.at),
                    "iso": _iso(row.at),
                    "who": row.actor_name
                    or ("Unknown staff member" if row.actor_type == "staff" else row.actor_type),
                    "what": ACTION_LABELS.get(row.action, row.action),
                }
                for row in actions
            ],
            consents=[
                {
                    "clause": row.clause_id,
                    "version": row.clause_version,
                    "sha256": row.text_sha256,
                    "decision": DECISION_LABELS.get(row.decision, row.decision),
                    "time": _time(row.decided_at),
                    "iso": _iso(row.decided_at),
                    "case": reference_of(row.case_id) if row.case_id is not None else "",
                }
                for row in consents
            ],
        ),
    )


async def receipt_pdf(request: Request) -> Response:
    """The consent receipt as the patient got it, drawn again from the stored records."""
    from storage.consent_texts import load_clauses
    from storage.receipt import build_receipt_pdf

    reference = request.path_params["reference"]
    case_id = _case_id_of(reference)
    if case_id is None:
        return not_found(request, reference)
    context = context_of(request)
    async with context.database.engine.connect() as connection:
        case = await queries.case_detail(connection, case_id)
    if case is None:
        return not_found(request, reference)
    records = await context.repository.consent_history_by_pseudonym(case.patient_pseudonym)
    name = case.patient_name if case.patient_name is not None else ERASED_NAME
    # About 40 ms of CPU in fpdf2: off the event loop, so other requests and the bot go on.
    pdf = await asyncio.to_thread(build_receipt_pdf, reference, name, records, load_clauses())
    await _audit(request, "console_download_receipt", case_id)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="consent-receipt-{reference}.pdf"',
            "Cache-Control": "no-store",
        },
    )


# -- the live queue ---------------------------------------------------------------------


async def queue_page(request: Request) -> Response:
    """Waiting cases, urgent first, with how long each has waited."""
    async with context_of(request).database.engine.connect() as connection:
        rows = await queries.waiting_cases(connection)
    now = utcnow()
    waiting = [_case_view(row, now) for row in rows]
    longest = max(
        ((now - row.queued_at).total_seconds() for row in rows if row.queued_at), default=None
    )
    return templates.TemplateResponse(
        request,
        "queue.html",
        template_context(
            request,
            cases=waiting,
            urgent=sum(1 for case in waiting if case["urgent"]),
            longest=duration(longest) if longest is not None else "",
            updated=_time(now),
            refresh_seconds=REFRESH_SECONDS,
        ),
        # The Refresh header does what a meta refresh would; base.html has no head block.
        headers={"Refresh": str(REFRESH_SECONDS)},
    )


routes: list[BaseRoute] = [
    Route("/", home, methods=["GET"], name="home"),
    Route("/cases", case_list, methods=["GET"], name="cases"),
    Route("/cases/{reference}", case_page, methods=["GET"], name="case"),
    Route("/cases/{reference}/receipt.pdf", receipt_pdf, methods=["GET"], name="case_receipt"),
    Route("/queue", queue_page, methods=["GET"], name="queue"),
]
