"""The console's reads: SQLAlchemy Core selects on the storage tables, every value bound.

Read-only by design: nothing here inserts, updates or deletes. Each page makes a few
queries whatever the number of rows (no query per row), and each filters on an indexed
column where the table can grow (cases by status, messages by case or patient, consent by
pseudonym, audit by target).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import AuditEvent, Case, ConsentRecord, Patient, StaffMember, TranscriptMessage

cases = Case.__table__
patients = Patient.__table__
staff = StaffMember.__table__
messages = TranscriptMessage.__table__
consents = ConsentRecord.__table__
audit = AuditEvent.__table__

holder = staff.alias("holder")
closer = staff.alias("closer")

# The claim is the only audit event that names who took a case; release clears the holder.
HOLDING_ACTIONS = ("case.claim",)


@dataclass(frozen=True)
class CaseFilters:
    """Validated filters of the case list; None means "any"."""

    status: str | None = None
    urgency: str | None = None
    staff_member_id: int | None = None
    opened_from: date | None = None
    opened_to: date | None = None
    case_id: int | None = None


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def case_target(case_id: int) -> str:
    """The audit log's name of a case, as storage.repository writes it."""
    return f"case:{case_id}"


def _case_target_column() -> sa.ColumnElement:
    return sa.literal("case:") + sa.cast(cases.c.id, sa.String)


def _conditions(filters: CaseFilters) -> list[sa.ColumnElement]:
    where: list[sa.ColumnElement] = []
    if filters.case_id is not None:
        where.append(cases.c.id == filters.case_id)
    if filters.status is not None:
        where.append(cases.c.status == filters.status)
    if filters.urgency is not None:
        where.append(cases.c.urgency == filters.urgency)
    if filters.opened_from is not None:
        where.append(cases.c.opened_at >= _day_start(filters.opened_from))
    if filters.opened_to is not None:
        # The "to" day is included: everything before the next midnight.
        where.append(cases.c.opened_at < _day_start(filters.opened_to + timedelta(days=1)))
    if filters.staff_member_id is not None:
        who = filters.staff_member_id
        held_before = (
            sa.select(audit.c.target)
            .where(
                audit.c.actor_type == "staff",
                audit.c.actor_id == str(who),
                audit.c.action.in_(HOLDING_ACTIONS),
            )
            .scalar_subquery()
        )
        where.append(
            sa.or_(
                cases.c.staff_member_id == who,
                cases.c.closed_by_staff_id == who,
                _case_target_column().in_(held_before),
            )
        )
    return where


_CASE_COLUMNS = (
    cases.c.id,
    cases.c.patient_id,
    cases.c.patient_pseudonym,
    cases.c.status,
    cases.c.urgency,
    cases.c.reason,
    cases.c.opened_at,
    cases.c.queued_at,
    cases.c.claimed_at,
    cases.c.closed_at,
    patients.c.display_name.label("patient_name"),
    patients.c.language.label("patient_language"),
    patients.c.language_code.label("patient_language_code"),
    patients.c.language_chosen_at.label("patient_language_chosen_at"),
    holder.c.display_name.label("holder_name"),
)


def _with_names(query: sa.sql.Select) -> sa.sql.Select:
    return query.select_from(
        cases.outerjoin(patients, patients.c.id == cases.c.patient_id).outerjoin(
            holder, holder.c.id == cases.c.staff_member_id
        )
    )


async def list_cases(
    connection: AsyncConnection, filters: CaseFilters, *, offset: int, limit: int
) -> tuple[Sequence[Row], int]:
    """One page of cases, newest first, and how many match in all."""
    where = _conditions(filters)
    total = await connection.scalar(sa.select(sa.func.count()).select_from(cases).where(*where))
    rows = await connection.execute(
        _with_names(sa.select(*_CASE_COLUMNS))
        .where(*where)
        .order_by(cases.c.opened_at.desc(), cases.c.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return rows.all(), int(total or 0)


async def staff_members(connection: AsyncConnection) -> Sequence[Row]:
    """Everyone who may hold a case, for the staff filter."""
    rows = await connection.execute(
        sa.select(staff.c.id, staff.c.display_name).order_by(staff.c.display_name, staff.c.id)
    )
    return rows.all()


async def case_detail(connection: AsyncConnection, case_id: int) -> Row | None:
    """The case with its patient's and staff's names, and when the patient's case before
    it closed (where this case's lead-in conversation starts)."""
    earlier = cases.alias("earlier")
    previous_closed = (
        sa.select(sa.func.max(earlier.c.closed_at))
        .where(earlier.c.patient_id == cases.c.patient_id, earlier.c.id < cases.c.id)
        .scalar_subquery()
    )
    query = (
        sa.select(
            *_CASE_COLUMNS,
            cases.c.summary,
            cases.c.rating,
            closer.c.display_name.label("closer_name"),
            sa.type_coerce(previous_closed, cases.c.closed_at.type).label("previous_closed_at"),
        )
        .select_from(
            cases.outerjoin(patients, patients.c.id == cases.c.patient_id)
            .outerjoin(holder, holder.c.id == cases.c.staff_member_id)
            .outerjoin(closer, closer.c.id == cases.c.closed_by_staff_id)
        )
        .where(cases.c.id == case_id)
    )
    return (await connection.execute(query)).first()


async def transcript(connection: AsyncConnection, case: Row) -> Sequence[Row]:
    """Every message of the case in order, with the conversation that led to it.

    Messages are tied to a case only while it is open, so what the patient and the bot said
    before the handoff has no case id: it is the patient's unattached messages after their
    previous case closed and up to this one's opening.
    """
    belongs = messages.c.case_id == case.id
    if case.patient_id is not None:
        lead_in = [
            messages.c.patient_id == case.patient_id,
            messages.c.case_id.is_(None),
            messages.c.created_at <= case.opened_at,
        ]
        if case.previous_closed_at is not None:
            lead_in.append(messages.c.created_at > case.previous_closed_at)
        belongs = sa.or_(belongs, sa.and_(*lead_in))
    query = (
        sa.select(
            messages.c.id,
            messages.c.case_id,
            messages.c.direction,
            messages.c.author,
            messages.c.text,
            messages.c.media_type,
            messages.c.created_at,
            staff.c.display_name.label("staff_name"),
        )
        .select_from(messages.outerjoin(staff, staff.c.id == messages.c.staff_member_id))
        .where(belongs)
        .order_by(messages.c.created_at, messages.c.id)
    )
    return (await connection.execute(query)).all()


async def case_audit(connection: AsyncConnection, case_id: int) -> Sequence[Row]:
    """What staff did to the case (claim, release, close, console views), oldest first."""
    actor = staff.alias("actor")
    query = (
        sa.select(
            audit.c.id,
            audit.c.at,
            audit.c.actor_type,
            audit.c.action,
            actor.c.display_name.label("actor_name"),
        )
        .select_from(
            audit.outerjoin(
                actor,
                sa.and_(
                    audit.c.actor_type == "staff",
                    audit.c.actor_id == sa.cast(actor.c.id, sa.String),
                ),
            )
        )
        .where(audit.c.target == case_target(case_id))
        .order_by(audit.c.at, audit.c.id)
    )
    return (await connection.execute(query)).all()


async def consent_records(connection: AsyncConnection, pseudonym: str) -> Sequence[Row]:
    """The patient's consent decisions, oldest first (they outlive erasure)."""
    query = (
        sa.select(
            consents.c.id,
            consents.c.case_id,
            consents.c.clause_id,
            consents.c.clause_version,
            consents.c.text_sha256,
            consents.c.decision,
            consents.c.decided_at,
        )
        .where(consents.c.patient_pseudonym == pseudonym)
        .order_by(consents.c.decided_at, consents.c.id)
    )
    return (await connection.execute(query)).all()


async def waiting_cases(connection: AsyncConnection) -> Sequence[Row]:
    """The queue as Repository.queue orders it: urgent first, then the longest waiting."""
    urgent_first = sa.case((cases.c.urgency == "urgent", 0), else_=1)
    query = (
        _with_names(sa.select(*_CASE_COLUMNS))
        .where(cases.c.status == "queued")
        .order_by(urgent_first, cases.c.queued_at, cases.c.id)
    )
    return (await connection.execute(query)).all()
