"""Consent records: recorded, read back as state and history, and never changed or removed."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from storage import Database, Repository
from storage.consent_texts import load_clauses
from storage.errors import AppendOnlyError, UnknownPatientError
from storage.models import ConsentRecord


async def _patient_with_two_decisions(repo: Repository) -> tuple[int, list[int]]:
    patient = await repo.upsert_patient(555, 555, "Asha R", "en")
    clauses = load_clauses()
    first = await repo.record_consent(
        patient_id=patient.id,
        clause_id=clauses[0].id,
        version=clauses[0].version,
        text_sha256=clauses[0].sha256,
        decision="agreed",
        answered_message_id=10,
    )
    second = await repo.record_consent(
        patient_id=patient.id,
        clause_id=clauses[1].id,
        version=clauses[1].version,
        text_sha256=clauses[1].sha256,
        decision="refused",
        answered_message_id=11,
    )
    return patient.id, [first.id, second.id]


async def test_state_is_the_latest_decision_per_clause(repo: Repository) -> None:
    patient_id, _ = await _patient_with_two_decisions(repo)
    await repo.record_consent(
        patient_id=patient_id,
        clause_id="telehealth-1",
        version=1,
        text_sha256=load_clauses()[0].sha256,
        decision="withdrawn",
        answered_message_id=12,
    )
    state = await repo.consent_state(patient_id)
    assert {clause: record.decision for clause, record in state.items()} == {
        "telehealth-1": "withdrawn",
        "telehealth-2": "refused",
    }
    history = await repo.consent_history(patient_id)
    assert [record.decision for record in history] == ["agreed", "refused", "withdrawn"]
    assert history[0].answered_message_id == 10
    assert history[0].decided_at.tzinfo is not None
    assert history[0].patient_pseudonym == repo.pseudonym_for(555)


async def test_unknown_decision_and_unknown_patient_are_refused(repo: Repository) -> None:
    patient = await repo.upsert_patient(556, 556, "B", None)
    with pytest.raises(ValueError, match="decision"):
        await repo.record_consent(
            patient_id=patient.id,
            clause_id="telehealth-1",
            version=1,
            text_sha256="0" * 64,
            decision="maybe",
            answered_message_id=None,
        )
    with pytest.raises(UnknownPatientError):
        await repo.record_consent(
            patient_id=patient.id + 100,
            clause_id="telehealth-1",
            version=1,
            text_sha256="0" * 64,
            decision="agreed",
            answered_message_id=None,
        )


async def test_consent_survives_a_restart(
    migrated_url: str, repo: Repository, pseudonym_secret: bytes
) -> None:
    patient_id, _ = await _patient_with_two_decisions(repo)
    fresh = Database(migrated_url)
    try:
        state = await Repository(fresh, pseudonym_secret).consent_state(patient_id)
    finally:
        await fresh.dispose()
    assert {clause: record.decision for clause, record in state.items()} == {
        "telehealth-1": "agreed",
        "telehealth-2": "refused",
    }


async def test_orm_update_is_rejected(db: Database, repo: Repository) -> None:
    _, (record_id, _) = await _patient_with_two_decisions(repo)
    async with db.session() as session:
        record = await session.get(ConsentRecord, record_id)
        record.decision = "refused"
        with pytest.raises(AppendOnlyError):
            await session.commit()
    assert (await _decisions(db))[record_id] == "agreed"


async def test_orm_delete_is_rejected(db: Database, repo: Repository) -> None:
    _, (record_id, _) = await _patient_with_two_decisions(repo)
    async with db.session() as session:
        await session.delete(await session.get(ConsentRecord, record_id))
        with pytest.raises(AppendOnlyError):
            await session.commit()
    assert record_id in await _decisions(db)


async def test_orm_bulk_update_and_delete_are_rejected(db: Database, repo: Repository) -> None:
    await _patient_with_two_decisions(repo)
    statements = [
        sa.update(ConsentRecord).values(decision="withdrawn"),
        sa.delete(ConsentRecord),
    ]
    for statement in statements:
        async with db.session() as session:
            with pytest.raises(AppendOnlyError):
                await session.execute(statement)
    assert sorted((await _decisions(db)).values()) == ["agreed", "refused"]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE consent_records SET decision = 'withdrawn'",
        "UPDATE consent_records SET text_sha256 = 'x' WHERE id = :id",
        "DELETE FROM consent_records WHERE id = :id",
        "DELETE FROM consent_records",
    ],
)
async def test_raw_sql_changes_are_rejected_by_the_database(
    db: Database, repo: Repository, statement: str
) -> None:
    _, (record_id, _) = await _patient_with_two_decisions(repo)
    async with db.engine.connect() as connection:
        with pytest.raises(DBAPIError, match="append-only"):
            await connection.execute(sa.text(statement), {"id": record_id})
        await connection.rollback()
    assert sorted((await _decisions(db)).values()) == ["agreed", "refused"]


async def test_repository_offers_no_way_to_change_consent(repo: Repository) -> None:
    consent_methods = {name for name in dir(repo) if "consent" in name}
    assert consent_methods == {
        "record_consent",
        "withdraw_consent",
        "consent_state",
        "consent_in_force",
        "consent_history",
        "consent_history_by_pseudonym",
    }


async def _decisions(db: Database) -> dict[int, str]:
    async with db.engine.connect() as connection:
        rows = await connection.execute(sa.text("SELECT id, decision FROM consent_records"))
        return {row.id: row.decision for row in rows}


async def test_a_decision_in_the_open_case_is_tied_to_it_in_one_transaction(
    repo: Repository, db: Database
) -> None:
    patient = await repo.upsert_patient(555, 555, "Asha R", "en")
    clause = load_clauses()[0]
    decision = {
        "patient_id": patient.id,
        "clause_id": clause.id,
        "version": clause.version,
        "text_sha256": clause.sha256,
        "decision": "agreed",
        "answered_message_id": 10,
        "in_open_case": True,
    }
    without_case = await repo.record_consent(**decision)
    case = await repo.open_case(
        patient_id=patient.id, reason="second_opinion", urgency="normal", summary={}
    )
    commits: list[int] = []
    sa.event.listen(db.engine.sync_engine, "commit", lambda _connection: commits.append(1))

    with_case = await repo.record_consent(**decision)

    assert without_case.case_id is None
    assert with_case.case_id == case.id
    assert len(commits) == 1


# -- withdrawal (issue 15): appended records, nothing changed ---------------------------


async def _agreed_to_all(repo: Repository, user_id: int = 557) -> int:
    patient = await repo.upsert_patient(user_id, user_id, "Asha R", "en")
    for clause in load_clauses():
        await repo.record_consent(
            patient_id=patient.id,
            clause_id=clause.id,
            version=clause.version,
            text_sha256=clause.sha256,
            decision="agreed",
            answered_message_id=20 + clause.number,
        )
    return patient.id


async def _rows(db: Database) -> list[tuple]:
    async with db.engine.connect() as connection:
        rows = await connection.execute(
            sa.text(
                "SELECT id, clause_id, clause_version, text_sha256, decision, decided_at, "
                "answered_message_id, case_id FROM consent_records ORDER BY id"
            )
        )
        return [tuple(row) for row in rows]


async def test_a_withdrawal_appends_records_and_changes_none(
    db: Database, repo: Repository
) -> None:
    patient_id = await _agreed_to_all(repo)
    case = await repo.open_case(
        patient_id=patient_id, reason="second_opinion", urgency="normal", summary={}
    )
    before = await _rows(db)
    clauses = load_clauses()

    result = await repo.withdraw_consent(
        patient_id=patient_id,
        clauses={clauses[1].id: clauses[1].version},
        answered_message_id=77,
    )

    assert result.not_agreed == ()
    (record,) = result.withdrawn
    assert (record.clause_id, record.version, record.text_sha256, record.decision) == (
        clauses[1].id,
        clauses[1].version,
        clauses[1].sha256,
        "withdrawn",
    )
    assert record.answered_message_id == 77 and record.case_id == case.id
    assert record.decided_at.tzinfo is not None
    after = await _rows(db)
    assert after[: len(before)] == before  # every earlier record exactly as it was
    assert len(after) == len(before) + 1
    in_force = await repo.consent_in_force(repo.pseudonym_for(557))
    assert set(in_force) == {c.id for c in clauses} - {clauses[1].id}
    history = await repo.consent_history(patient_id)
    assert [r.decision for r in history] == ["agreed"] * 5 + ["withdrawn"]


async def test_withdrawing_twice_records_nothing_the_second_time(
    db: Database, repo: Repository
) -> None:
    patient_id = await _agreed_to_all(repo)
    everything = {clause.id: clause.version for clause in load_clauses()}
    first = await repo.withdraw_consent(
        patient_id=patient_id, clauses=everything, answered_message_id=80
    )
    rows = await _rows(db)

    second = await repo.withdraw_consent(
        patient_id=patient_id, clauses=everything, answered_message_id=81
    )

    assert len(first.withdrawn) == 5 and first.not_agreed == ()
    assert second.withdrawn == () and set(second.not_agreed) == set(everything)
    assert await _rows(db) == rows
    assert await repo.consent_in_force(repo.pseudonym_for(557)) == {}


async def test_only_an_agreement_in_force_at_that_version_is_withdrawn(
    db: Database, repo: Repository
) -> None:
    patient = await repo.upsert_patient(558, 558, "B", None)
    clause = load_clauses()[0]
    await repo.record_consent(
        patient_id=patient.id,
        clause_id=clause.id,
        version=clause.version,
        text_sha256=clause.sha256,
        decision="refused",
        answered_message_id=1,
    )
    rows = await _rows(db)
    refused = await repo.withdraw_consent(
        patient_id=patient.id, clauses={clause.id: clause.version}, answered_message_id=2
    )
    never = await repo.withdraw_consent(
        patient_id=patient.id, clauses={"telehealth-2": 1}, answered_message_id=3
    )
    await repo.record_consent(
        patient_id=patient.id,
        clause_id=clause.id,
        version=clause.version + 1,
        text_sha256="cd" * 32,
        decision="agreed",
        answered_message_id=4,
    )
    old_version = await repo.withdraw_consent(
        patient_id=patient.id, clauses={clause.id: clause.version}, answered_message_id=5
    )
    assert refused.withdrawn == never.withdrawn == old_version.withdrawn == ()
    assert len(await _rows(db)) == len(rows) + 1  # only the agreement to the new version


async def test_the_same_press_handled_again_appends_nothing(db: Database, repo: Repository) -> None:
    """A turn replayed after a crash: the withdrawal it recorded is reported, not repeated."""
    patient_id = await _agreed_to_all(repo)
    clause = load_clauses()[2]
    first = await repo.withdraw_consent(
        patient_id=patient_id, clauses={clause.id: clause.version}, answered_message_id=90
    )
    rows = await _rows(db)
    again = await repo.withdraw_consent(
        patient_id=patient_id, clauses={clause.id: clause.version}, answered_message_id=90
    )
    assert again.withdrawn == first.withdrawn and again.not_agreed == ()
    assert again.repeated and not first.repeated
    assert await _rows(db) == rows
