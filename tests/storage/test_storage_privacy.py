"""/mydata and /delete: the export holds everything; erasure keeps only consent evidence."""

from __future__ import annotations

import json

import sqlalchemy as sa

from storage import Database, Repository
from storage.consent_texts import load_clauses

USER = 4242
CHAT = 4242
OTHER_USER = 4343

EVENTS_TABLE = sa.Table(
    "events",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False),
    sa.Column("type_name", sa.String(255), nullable=False),
    sa.Column("data", sa.Text),
)


async def _history(repo: Repository) -> dict[str, int]:
    """A patient with a consented case, an earlier case without consent, messages."""
    patient = await repo.upsert_patient(USER, CHAT, "Asha Rao", "en")
    staff = await repo.upsert_staff(77, "Ravi")
    earlier = await repo.open_case(
        patient_id=patient.id, reason="human_request", urgency="normal", summary={"asked": "hi"}
    )
    await repo.record_message(
        patient_id=patient.id,
        direction="in",
        author="patient",
        text="my mother has cancer",
        chat_id=CHAT,
        telegram_message_id=1,
    )
    await repo.close_case(earlier.id, staff.id)
    case = await repo.open_case(
        patient_id=patient.id,
        reason="second_opinion",
        urgency="normal",
        summary={"asked": "is the surgery risky", "criteria_met": ["risky"]},
    )
    await repo.set_case_topic(case.id, thread_id=555, card_message_id=556)
    for message_id, (clause, decision) in enumerate(
        zip(load_clauses()[:2], ("agreed", "refused"), strict=True), start=10
    ):
        await repo.record_consent(
            patient_id=patient.id,
            clause_id=clause.id,
            version=clause.version,
            text_sha256=clause.sha256,
            decision=decision,
            answered_message_id=message_id,
            case_id=case.id,
        )
    await repo.record_message(
        patient_id=patient.id,
        direction="out",
        author="bot",
        text="Your case 1002 is with our care team",
        chat_id=CHAT,
        telegram_message_id=20,
    )
    other = await repo.upsert_patient(OTHER_USER, OTHER_USER, "Other", None)
    await repo.record_message(
        patient_id=other.id,
        direction="in",
        author="patient",
        text="hello",
        chat_id=OTHER_USER,
        telegram_message_id=1,
    )
    return {"patient": patient.id, "case": case.id, "earlier": earlier.id, "other": other.id}


async def test_export_contains_everything_and_is_json(repo: Repository) -> None:
    ids = await _history(repo)
    exported = await repo.export_patient(USER)
    document = json.loads(json.dumps(exported))  # serialisable, and round-trips

    assert document["patient"]["display_name"] == "Asha Rao"
    assert document["patient"]["telegram_user_id"] == USER
    assert [case["reference"] for case in document["cases"]] == [
        str(ids["earlier"] + 1000),
        str(ids["case"] + 1000),
    ]
    assert document["cases"][1]["summary"]["criteria_met"] == ["risky"]
    assert [message["text"] for message in document["messages"]] == [
        "my mother has cancer",
        "Your case 1002 is with our care team",
    ]
    assert [(r["clause_id"], r["decision"]) for r in document["consent_records"]] == [
        ("telehealth-1", "agreed"),
        ("telehealth-2", "refused"),
    ]
    assert document["consent_records"][0]["decided_at"].endswith("+00:00")
    assert document["consent_records"][0]["case_reference"] == str(ids["case"] + 1000)
    assert [event["action"] for event in document["audit_events"]] == ["case.close"]
    assert document["about"]  # the note explaining the document, from content/receipt.yml
    assert "hello" not in json.dumps(document)  # nothing of another patient


async def _add_tracker_rows(db: Database) -> None:
    async with db.engine.begin() as connection:
        await connection.run_sync(EVENTS_TABLE.metadata.create_all)
        await connection.execute(
            sa.insert(EVENTS_TABLE),
            [
                {"sender_id": str(CHAT), "type_name": "user", "data": "{}"},
                {"sender_id": str(CHAT), "type_name": "bot", "data": "{}"},
                {"sender_id": str(OTHER_USER), "type_name": "user", "data": "{}"},
            ],
        )


async def _count(db: Database, query: str) -> int:
    async with db.engine.connect() as connection:
        return (await connection.execute(sa.text(query))).scalar_one()


async def test_erase_removes_personal_data_and_keeps_consent(
    db: Database, repo: Repository
) -> None:
    ids = await _history(repo)
    await _add_tracker_rows(db)

    report = await repo.erase_patient(USER)

    assert report.patient_deleted
    assert report.pseudonym == repo.pseudonym_for(USER)
    assert (report.messages_deleted, report.cases_deleted, report.cases_anonymised) == (2, 1, 1)
    assert report.consent_records_kept == 2
    assert report.tracker_events_deleted == 2
    assert report.staff_thread_ids == (555,)

    assert await repo.get_patient(USER) is None
    assert await _count(db, f"SELECT count(*) FROM transcript_messages WHERE chat_id = {CHAT}") == 0
    assert await _count(db, f"SELECT count(*) FROM events WHERE sender_id = '{CHAT}'") == 0
    assert await _count(db, f"SELECT count(*) FROM events WHERE sender_id = '{OTHER_USER}'") == 1
    assert len(await repo.last_messages(ids["other"])) == 1  # another patient untouched

    kept = await repo.consent_history_by_pseudonym(report.pseudonym)
    assert [(r.clause_id, r.decision, r.case_id) for r in kept] == [
        ("telehealth-1", "agreed", ids["case"]),
        ("telehealth-2", "refused", ids["case"]),
    ]
    skeleton = await repo.get_case(ids["case"])
    assert skeleton.patient_id is None and skeleton.summary == {} and skeleton.reason is None
    assert skeleton.thread_id is None and skeleton.status == "closed"
    assert await repo.get_case(ids["earlier"]) is None

    # Nothing stored anywhere still carries the name, the words or the Telegram id.
    async with db.engine.connect() as connection:
        for table in ("cases", "consent_records", "audit_log", "transcript_messages"):
            rows = (await connection.execute(sa.text(f"SELECT * FROM {table}"))).all()
            dumped = repr(rows)
            assert "Asha" not in dumped and "cancer" not in dumped and "risky" not in dumped
    audit = await _count(db, "SELECT count(*) FROM audit_log WHERE action = 'patient.erase'")
    assert audit == 1


async def test_after_erasure_export_shows_only_the_consent_evidence(repo: Repository) -> None:
    await _history(repo)
    await repo.erase_patient(USER)
    document = await repo.export_patient(USER)
    assert document["patient"] is None and document["messages"] == []
    assert len(document["consent_records"]) == 2
    assert document["cases"][0]["summary"] == {}


async def test_a_returning_patient_after_erasure_starts_afresh(repo: Repository) -> None:
    await _history(repo)
    await repo.erase_patient(USER)
    again = await repo.upsert_patient(USER, CHAT, "Asha", None)
    assert again.pseudonym == repo.pseudonym_for(USER)
    assert await repo.open_case_for(again.id) is None
    assert len(await repo.consent_history(again.id)) == 2  # the evidence is still theirs


async def test_what_was_agreed_before_an_erasure_is_not_in_force_for_the_returning_patient(
    repo: Repository,
) -> None:
    """"We start afresh": the evidence stays, but a new handoff asks for consent again."""
    await _history(repo)
    first = load_clauses()[0]
    pseudonym = repo.pseudonym_for(USER)
    assert set(await repo.consent_in_force(pseudonym)) == {first.id}
    await repo.erase_patient(USER)
    again = await repo.upsert_patient(USER, CHAT, "Asha", None)
    assert await repo.consent_in_force(pseudonym) == {}
    assert await repo.consent_state(again.id) == {}
    # Nothing of the old agreement can be withdrawn: it is not in force.
    result = await repo.withdraw_consent(
        patient_id=again.id, clauses={first.id: first.version}, answered_message_id=90
    )
    assert result.withdrawn == () and result.not_agreed == (first.id,)
    await repo.record_consent(
        patient_id=again.id,
        clause_id=first.id,
        version=first.version,
        text_sha256=first.sha256,
        decision="agreed",
        answered_message_id=91,
    )
    assert set(await repo.consent_in_force(pseudonym)) == {first.id}
    assert [r.decision for r in await repo.consent_history(again.id)] == [
        "agreed",
        "refused",
        "agreed",
    ]


async def test_erasing_an_unknown_patient_deletes_nothing(repo: Repository) -> None:
    report = await repo.erase_patient(123)
    assert not report.patient_deleted
    assert (report.messages_deleted, report.cases_deleted, report.tracker_events_deleted) == (
        0,
        0,
        0,
    )
