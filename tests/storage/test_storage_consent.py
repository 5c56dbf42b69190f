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
        "consent_state",
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
