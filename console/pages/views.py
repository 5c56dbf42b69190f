"""What the console's pages share: labels, times, a case row as pages show it, the 404."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.engine import Row
from starlette.requests import Request
from starlette.responses import Response

from console import queries
from console.auth import staff_of, template_context
from console.context import context_of
from console.templating import templates
from storage.refs import CASE_REFERENCE_OFFSET

# Beyond this a case number cannot be real; refusing it early keeps an absurd value from
# overflowing the database's integer types.
MAX_CASE_ID = 2**31 - 1
ERASED_NAME = "(erased)"

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


def time_text(value: datetime | None) -> str:
    """A UTC time as the pages show it, to the minute."""
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else ""


def iso(value: datetime | None) -> str:
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


def is_number(text: str) -> bool:
    """ASCII digits only: str.isdigit alone accepts other scripts' digits and superscripts."""
    return text.isascii() and text.isdigit()


def case_id_of(reference: str) -> int | None:
    """The case id of a reference ("1042" -> 42), or None when it cannot be one."""
    if not is_number(reference) or len(reference) > 12:
        return None
    case_id = int(reference) - CASE_REFERENCE_OFFSET
    return case_id if 0 < case_id <= MAX_CASE_ID else None


def _waiting(row: Row, now: datetime) -> str:
    """How long the patient waited for staff: still waiting, or until the claim."""
    if row.queued_at is None:
        return ""
    if row.status == "queued":
        return duration((now - row.queued_at).total_seconds())
    if row.claimed_at is not None and row.claimed_at >= row.queued_at:
        return duration((row.claimed_at - row.queued_at).total_seconds())
    return ""


def case_view(row: Row, now: datetime) -> dict[str, Any]:
    """A case row as the list, the queue and the case page show it."""
    return {
        "reference": reference_of(row.id),
        "opened": time_text(row.opened_at),
        "opened_iso": iso(row.opened_at),
        "status": row.status,
        "status_label": STATUS_LABELS.get(row.status, row.status),
        "urgent": row.urgency == "urgent",
        "reason": REASON_LABELS.get(row.reason or "", row.reason or ""),
        "holder": row.holder_name or "",
        "waiting": _waiting(row, now),
        "patient": row.patient_name if row.patient_name is not None else ERASED_NAME,
    }


def not_found(request: Request, reference: str) -> Response:
    """The 404 page for a case number no case has."""
    return templates.TemplateResponse(
        request,
        "not_found.html",
        template_context(request, reference=reference),
        status_code=404,
    )


async def audit_case(request: Request, action: str, case_id: int) -> None:
    """An audit event by the signed-in staff member on the case (ids only, no names)."""
    await context_of(request).repository.audit(
        actor_type="staff",
        actor_id=str(staff_of(request).staff_id),
        action=action,
        target=queries.case_target(case_id),
    )
