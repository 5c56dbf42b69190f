"""The case list: its filters read and checked, then one page of the matching cases."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode

from sqlalchemy.engine import Row
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from console import queries
from console.auth import template_context
from console.context import context_of
from console.pages.views import MAX_CASE_ID, STATUS_LABELS, case_view, is_number
from console.templating import templates
from storage.models import CASE_STATUSES, URGENCIES
from storage.refs import CASE_REFERENCE_OFFSET
from storage.timeutil import utcnow

PER_PAGE = 50
# Beyond this a page number cannot be real.
MAX_PAGE = 100_000


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
        if not is_number(case_text):
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
        if is_number(form["staff"]) and int(form["staff"]) in staff_ids:
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
        if is_number(form["page"]) and 1 <= int(form["page"]) <= MAX_PAGE:
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
            cases=[case_view(row, now) for row in rows],
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
