"""The staff tools' rows on SQLite and PostgreSQL: notes (the widened author check),
saved canned replies (audited), a patient leaving a handoff, the service figures in SQL,
and notes in /mydata."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from staff.stats_queries import case_figures, last_days, period_figures
from storage import Database, Repository, downgrade, migrate
from storage.models import AuditEvent, Case, TranscriptMessage
from storage.staff_tools import StaffToolsStore

USER = 5151
STAFF_GROUP = -100777


async def _held_case(repo: Repository) -> tuple[object, object, object]:
    patient = await repo.upsert_patient(USER, USER, "Asha Rao", "en")
    staff = await repo.upsert_staff(901, "Ravi")
    case = await repo.open_case(
        patient_id=patient.id, reason="human_request", urgency="normal", summary={}
    )
    await repo.claim_case(case.id, staff.id)
    return patient, staff, await repo.get_case(case.id)


async def _audit(db: Database, action: str) -> list[AuditEvent]:
    async with db.session() as session:
        return list(await session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


async def test_a_note_is_kept_with_the_case_and_audited(db: Database, repo: Repository) -> None:
    patient, staff, case = await _held_case(repo)
    tools = StaffToolsStore(db)
    await tools.add_note(case, staff.id, "asked for reports", STAFF_GROUP, 77)
    async with db.session() as session:
        row = await session.scalar(
            sa.select(TranscriptMessage).where(TranscriptMessage.author == "note")
        )
    assert row is not None
    assert (row.case_id, row.patient_id, row.staff_member_id) == (case.id, patient.id, staff.id)
    assert row.text == "asked for reports" and row.chat_id == STAFF_GROUP
    audits = await _audit(db, "case.note")
    assert [(a.actor_id, a.target, a.details) for a in audits] == [
        (str(staff.id), f"case:{case.id}", None)  # never the note's text
    ]


async def test_the_author_check_still_refuses_others(db: Database, repo: Repository) -> None:
    patient, _, _ = await _held_case(repo)
    with pytest.raises(IntegrityError):
        async with db.session() as session, session.begin():
            session.add(
                TranscriptMessage(
                    patient_id=patient.id, direction="in", author="robot", text="x", chat_id=1
                )
            )


async def test_notes_are_in_the_export_marked_as_notes(db: Database, repo: Repository) -> None:
    _, staff, case = await _held_case(repo)
    await StaffToolsStore(db).add_note(case, staff.id, "call back Monday", STAFF_GROUP, 78)
    exported = await repo.export_patient(USER)
    notes = [m for m in exported["messages"] if m["author"] == "note"]
    assert len(notes) == 1 and notes[0]["text"] == "call back Monday"
    assert "not sent to you" in notes[0]["staff_note"]
    assert all("staff_note" not in m for m in exported["messages"] if m["author"] != "note")


async def test_saving_a_canned_reply_creates_then_replaces_it(
    db: Database, repo: Repository
) -> None:
    staff = await repo.upsert_staff(901, "Ravi")
    tools = StaffToolsStore(db)
    assert await tools.save_reply("fees", "Our fee is ...", staff.id) is True
    assert await tools.save_reply("fees", "Our fee is now ...", staff.id) is False
    saved = await tools.saved_reply("fees")
    assert saved is not None and saved.text == "Our fee is now ..."
    assert [r.name for r in await tools.saved_replies()] == ["fees"]
    assert await tools.saved_reply("nope") is None
    created, replaced = await _audit(db, "canned.save"), await _audit(db, "canned.replace")
    assert [(a.target, a.details) for a in created] == [("canned:fees", {"length": 14})]
    assert len(replaced) == 1 and replaced[0].actor_id == str(staff.id)


async def test_the_patient_leaves_a_held_or_queued_case(db: Database, repo: Repository) -> None:
    patient, _, case = await _held_case(repo)
    tools = StaffToolsStore(db)
    left = await tools.return_to_bot(case.id, patient.pseudonym)
    assert left is not None and left.status == "bot" and left.holder_staff_id is None
    assert await tools.return_to_bot(case.id, patient.pseudonym) is None  # nothing to leave
    # Asking for a person again queues the same case, which the patient can leave too.
    again = await repo.open_case(
        patient_id=patient.id, reason="human_request", urgency="normal", summary={}
    )
    assert again.id == case.id and again.status == "queued"
    assert (await tools.return_to_bot(case.id, patient.pseudonym)).status == "bot"
    audits = await _audit(db, "case.patient_left")
    assert [(a.actor_type, a.actor_id) for a in audits] == [("patient", patient.pseudonym)] * 2


async def test_a_closed_case_cannot_be_left(db: Database, repo: Repository) -> None:
    patient, staff, case = await _held_case(repo)
    await repo.close_case(case.id, staff.id)
    assert await StaffToolsStore(db).return_to_bot(case.id, patient.pseudonym) is None


async def test_case_transcript_newest_rows_oldest_first(db: Database, repo: Repository) -> None:
    patient, staff, case = await _held_case(repo)
    for n in range(5):
        await repo.record_message(
            patient_id=patient.id,
            direction="in",
            author="patient",
            text=f"m{n}",
            chat_id=USER,
            telegram_message_id=n + 1,
        )
    await StaffToolsStore(db).add_note(case, staff.id, "a note", STAFF_GROUP, 90)
    total, rows = await StaffToolsStore(db).case_transcript(case.id, 3)
    assert total == 6
    assert [(r.author, r.text, r.staff_name) for r in rows] == [
        ("patient", "m3", None),
        ("patient", "m4", None),
        ("note", "a note", "Ravi"),
    ]


async def _set(db: Database, table: object, row_id: int, **values: object) -> None:
    async with db.session() as session, session.begin():
        await session.execute(sa.update(table).where(table.id == row_id).values(**values))


async def _case_with(
    db: Database,
    repo: Repository,
    user: int,
    opened_at: datetime,
    reply_after_s: float | None,
    handled_s: float | None = None,
    rating: int | None = None,
) -> int:
    patient = await repo.upsert_patient(user, user, "P", "en")
    staff = await repo.upsert_staff(901, "Ravi")
    case = await repo.open_case(
        patient_id=patient.id, reason="human_request", urgency="normal", summary={}
    )
    values: dict[str, object] = {"opened_at": opened_at}
    await repo.claim_case(case.id, staff.id)
    values["claimed_at"] = opened_at + timedelta(seconds=30)
    if reply_after_s is not None:
        row = await repo.record_message(
            patient_id=patient.id,
            direction="out",
            author="staff",
            text="hello",
            chat_id=user,
            telegram_message_id=None,
            staff_member_id=staff.id,
        )
        await _set(
            db, TranscriptMessage, row, created_at=opened_at + timedelta(seconds=reply_after_s)
        )
        # A note before the reply is no reply: it must not count.
        note = await StaffToolsStore(db).add_note(
            await repo.get_case(case.id), staff.id, "n", STAFF_GROUP, user
        )
        await _set(db, TranscriptMessage, note, created_at=opened_at + timedelta(seconds=1))
    if handled_s is not None:
        await repo.close_case(case.id, staff.id)
        values["closed_at"] = values["claimed_at"] + timedelta(seconds=handled_s)  # type: ignore[operator]
        if rating is not None:
            await repo.rate_case(case.id, rating)
    await _set(db, Case, case.id, **values)
    return case.id


async def test_service_figures_today_and_the_last_seven_days(
    db: Database, repo: Repository
) -> None:
    now = datetime(2026, 12, 1, 15, 0, tzinfo=timezone.utc)
    today = now.date()
    # Today: replies after 60, 120, 300 s; two handled (600 s, 1200 s), rated 5 and 3.
    first = await _case_with(db, repo, 6001, now - timedelta(hours=5), 60, 600, 5)
    await _case_with(db, repo, 6002, now - timedelta(hours=4), 120, 1200, 3)
    await _case_with(db, repo, 6003, now - timedelta(hours=3), 300)
    await _case_with(db, repo, 6004, now - timedelta(hours=2), None)  # not answered yet
    # Three days ago: one reply after 1,000 s, handled 300 s, rated 4. Ten days ago: outside.
    await _case_with(db, repo, 6005, now - timedelta(days=3), 1000, 300, 4)
    await _case_with(db, repo, 6006, now - timedelta(days=10), 5, 5, 1)

    day = await period_figures(db.engine, last_days(today, 1))
    assert day.cases == 4 and day.first_reply.answered == 3
    assert day.first_reply.median_s == pytest.approx(120)
    assert day.first_reply.p90_s == pytest.approx(120 + 0.8 * 180)  # interpolated
    assert day.handled == 2 and day.handling_median_s == pytest.approx(900)
    assert day.ratings.total == 2 and day.ratings.mean == pytest.approx(4.0)
    assert day.ratings.counts == {1: 0, 2: 0, 3: 1, 4: 0, 5: 1}

    week = await period_figures(db.engine, last_days(today, 7))
    assert week.cases == 5 and week.first_reply.answered == 4
    assert week.first_reply.median_s == pytest.approx(210)
    assert week.handled == 3 and week.handling_median_s == pytest.approx(600)
    assert week.ratings.counts == {1: 0, 2: 0, 3: 1, 4: 1, 5: 1}

    figures = await case_figures(db.engine, first)
    assert figures is not None
    assert figures.first_reply_s == pytest.approx(60, abs=0.01)
    assert figures.handling_s == pytest.approx(600, abs=0.01)
    assert figures.rating == 5
    assert await case_figures(db.engine, 99999) is None


async def test_downgrade_drops_notes_and_narrows_the_check(migrated_url: str) -> None:
    db = Database(migrated_url)
    try:
        repo = Repository(db, b"secret")
        _, staff, case = await _held_case(repo)
        await StaffToolsStore(db).add_note(case, staff.id, "a note", STAFF_GROUP, 1)
    finally:
        await db.dispose()
    downgrade(migrated_url, "0005")
    engine = sa.create_engine(migrated_url.replace("postgresql://", "postgresql+psycopg2://"))
    try:
        with engine.begin() as connection:
            notes = connection.execute(
                sa.text("SELECT count(*) FROM transcript_messages WHERE author = 'note'")
            ).scalar()
            assert notes == 0
            assert "canned_replies" not in sa.inspect(connection).get_table_names()
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO transcript_messages (patient_id, direction, author, chat_id,"
                    " created_at) SELECT id, 'in', 'note', 1, created_at FROM patients"
                    " LIMIT 1"
                )
            )
    finally:
        engine.dispose()
    migrate(migrated_url)
