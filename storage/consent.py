"""Consent records: appended, read back, withdrawn. Append-only: nothing here updates or
deletes a record (storage/append_only.py and the database's triggers refuse it anyway).

`ConsentMethods` is the consent part of `Repository` (mixed into it), each method one
transaction; the functions below it work inside a transaction already open.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from storage.convert import consent_ref
from storage.models import DECISIONS, ConsentRecord, Patient
from storage.refs import ConsentRef
from storage.repo_base import RepositoryBase
from storage.rows import open_case_row, pseudonym_of

AGREED = "agreed"
WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class Withdrawal:
    """What a withdrawal did: the `withdrawn` records appended, and the clauses asked for
    that were not agreed (any more, or at that version), left as they were."""

    withdrawn: tuple[ConsentRef, ...]
    not_agreed: tuple[str, ...]
    # The records were all made earlier by the same press (it was handled before).
    repeated: bool = False


def latest_by_clause(records: Iterable[ConsentRef]) -> dict[str, ConsentRef]:
    """The latest record per clause id (records in the order they were made)."""
    latest: dict[str, ConsentRef] = {}
    for record in sorted(records, key=lambda record: (record.decided_at, record.id)):
        latest[record.clause_id] = record
    return latest


def agreed_now(records: Iterable[ConsentRef]) -> dict[str, ConsentRef]:
    """Clauses whose latest record is an agreement: what is in force, and what /withdraw
    can take back. A refusal or a withdrawal after an agreement ends it."""
    return {
        clause_id: record
        for clause_id, record in latest_by_clause(records).items()
        if record.decision == AGREED
    }


async def append(
    session: AsyncSession,
    *,
    patient_pseudonym: str,
    case_id: int | None,
    clause_id: str,
    version: int,
    text_sha256: str,
    decision: str,
    answered_message_id: int | None,
    language: str = "en",
) -> ConsentRef:
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {DECISIONS}, not {decision!r}")
    row = ConsentRecord(
        patient_pseudonym=patient_pseudonym,
        case_id=case_id,
        clause_id=clause_id,
        clause_version=version,
        text_sha256=text_sha256,
        decision=decision,
        answered_message_id=answered_message_id,
        language=language,
    )
    session.add(row)
    await session.flush()
    return consent_ref(row)


async def history(
    session: AsyncSession, patient_pseudonym: str, *, current_only: bool = False
) -> list[ConsentRef]:
    """Every record of the patient in the order they were made; with `current_only`, only
    those made since the patient's present record began.

    An erasure (/delete) deletes the patient's record, and a patient who writes again gets a
    new one: what they agreed before it is kept as evidence but no longer in force, since
    they were told that we start afresh. No record (erased, not back): every record.
    """
    query = sa.select(ConsentRecord).where(ConsentRecord.patient_pseudonym == patient_pseudonym)
    if current_only:
        began = (
            sa.select(Patient.created_at)
            .where(Patient.pseudonym == patient_pseudonym)
            .scalar_subquery()
        )
        query = query.where(sa.or_(began.is_(None), ConsentRecord.decided_at >= began))
    rows = await session.scalars(query.order_by(ConsentRecord.decided_at, ConsentRecord.id))
    return [consent_ref(row) for row in rows]


async def withdraw(
    session: AsyncSession,
    *,
    patient_pseudonym: str,
    case_id: int | None,
    clauses: Mapping[str, int] | Sequence[tuple[str, int]],
    answered_message_id: int | None,
) -> Withdrawal:
    """Append a `withdrawn` record for each clause (id → the version the patient saw as
    agreed) whose latest record is still that agreement; the others are left alone.

    The withdrawn record carries the version and text hash of the agreement it ends. The
    same press (`answered_message_id`) handled again returns what it recorded the first
    time, and appends nothing.
    """
    wanted = dict(clauses.items() if isinstance(clauses, Mapping) else clauses)
    records = await history(session, patient_pseudonym, current_only=True)
    in_force = agreed_now(records)
    # The same press handled again (a turn replayed after a crash): already recorded.
    earlier = {
        record.clause_id: record
        for record in records
        if record.decision == WITHDRAWN
        and answered_message_id is not None
        and record.answered_message_id == answered_message_id
    }
    withdrawn: list[ConsentRef] = []
    not_agreed: list[str] = []
    repeated = 0
    for clause_id, version in wanted.items():
        if clause_id in earlier and earlier[clause_id].version == version:
            withdrawn.append(earlier[clause_id])
            repeated += 1
            continue
        agreement = in_force.get(clause_id)
        if agreement is None or agreement.version != version:
            not_agreed.append(clause_id)
            continue
        withdrawn.append(
            await append(
                session,
                patient_pseudonym=patient_pseudonym,
                case_id=case_id,
                clause_id=clause_id,
                version=agreement.version,
                text_sha256=agreement.text_sha256,
                decision=WITHDRAWN,
                answered_message_id=answered_message_id,
                language=agreement.language,
            )
        )
    return Withdrawal(
        tuple(withdrawn), tuple(not_agreed), bool(withdrawn) and repeated == len(withdrawn)
    )


class ConsentMethods(RepositoryBase):
    """Repository's consent methods: append, read, withdraw; never update or delete."""

    async def record_consent(
        self,
        *,
        patient_id: int,
        clause_id: str,
        version: int,
        text_sha256: str,
        decision: str,
        answered_message_id: int | None,
        case_id: int | None = None,
        in_open_case: bool = False,
        language: str = "en",
    ) -> ConsentRef:
        """Append a decision; `in_open_case`: tied to the patient's open case, if any, read in
        the same transaction."""
        if decision not in DECISIONS:
            raise ValueError(f"decision must be one of {DECISIONS}, not {decision!r}")
        async with self._transaction() as session:
            if in_open_case:
                open_case = await open_case_row(session, patient_id)
                case_id = open_case.id if open_case is not None else None
            return await append(
                session,
                patient_pseudonym=await pseudonym_of(session, patient_id),
                case_id=case_id,
                clause_id=clause_id,
                version=version,
                text_sha256=text_sha256,
                decision=decision,
                answered_message_id=answered_message_id,
                language=language,
            )

    async def withdraw_consent(
        self,
        *,
        patient_id: int,
        clauses: Mapping[str, int],
        answered_message_id: int | None,
    ) -> Withdrawal:
        """Append a `withdrawn` record for each clause (id → version agreed) still agreed at
        that version, tied to the open case; the rest are reported, not recorded. One
        transaction, the patient's row locked (PostgreSQL) so two cannot interleave."""
        async with self._transaction() as session:
            await session.execute(
                sa.select(Patient.id).where(Patient.id == patient_id).with_for_update()
            )
            open_case = await open_case_row(session, patient_id)
            return await withdraw(
                session,
                patient_pseudonym=await pseudonym_of(session, patient_id),
                case_id=open_case.id if open_case is not None else None,
                clauses=clauses,
                answered_message_id=answered_message_id,
            )

    async def consent_history(self, patient_id: int) -> list[ConsentRef]:
        """Every record of the patient, in order (withdrawals and older versions included)."""
        async with self._transaction() as session:
            return await history(session, await pseudonym_of(session, patient_id))

    async def consent_history_by_pseudonym(self, patient_pseudonym: str) -> list[ConsentRef]:
        """Works after erasure too: the records are kept under the pseudonym."""
        async with self._transaction() as session:
            return await history(session, patient_pseudonym)

    async def consent_state(self, patient_id: int) -> dict[str, ConsentRef]:
        """The latest decision per clause id since the patient's record began."""
        async with self._transaction() as session:
            pseudonym = await pseudonym_of(session, patient_id)
            return latest_by_clause(await history(session, pseudonym, current_only=True))

    async def consent_in_force(self, patient_pseudonym: str) -> dict[str, ConsentRef]:
        """The clauses whose latest record since the patient's record began is an agreement
        (one query, by pseudonym): none of what was agreed before an erasure."""
        async with self._transaction() as session:
            return agreed_now(await history(session, patient_pseudonym, current_only=True))
